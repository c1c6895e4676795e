// The same two domains as examples/yaml. Exported as a function, which `pulumi up` runs and the
// end-to-end tests run as an Automation API inline program.
import * as pulumi from "@pulumi/pulumi";
import * as qboxmail from "@pulumi-qboxmail/qboxmail";

export = async () => {
    const config = new pulumi.Config();
    const main = new qboxmail.DomainSettings("main", {
        domainCode: config.require("mainDomainCode"),
        antispamLevel: 3,
        allowNets: ["192.0.2.0/24", "2001:db8::/32"],
        forceOtp: true,
        passwordExpiration: 6,
        webmailLanguage: "en",
        webmailTimezone: "Europe/Rome",
        // Optional: pulumi config set --secret postmasterPassword <password>
        postmasterPassword: config.getSecret("postmasterPassword"),
    });
    const shop = new qboxmail.DomainSettings("shop", {
        domainCode: config.require("shopDomainCode"),
        antispamLevel: 2,
        allowNets: ["198.51.100.7"],
        forceOtp: true,
        passwordExpiration: 12,
        webmailLanguage: "it",
        webmailTimezone: "Europe/Rome",
        maxEmailAccounts25gb: 10,
    });
    return { mainAntispamLevel: main.antispamLevel, shopAllowNets: shop.allowNets };
};
