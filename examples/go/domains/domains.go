// Package domains is the program: the same two domains as examples/yaml. It is a package of its
// own so that the end-to-end tests run it as an Automation API inline program.
package domains

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/pulumi-qboxmail/pulumi-qboxmail/sdk/go/qboxmail"
)

// Program declares the domains.
func Program(ctx *pulumi.Context) error {
	cfg := config.New(ctx, "")
	main, err := qboxmail.NewDomainSettings(ctx, "main", &qboxmail.DomainSettingsArgs{
		DomainCode:         pulumi.String(cfg.Require("mainDomainCode")),
		AntispamLevel:      pulumi.Int(3),
		AllowNets:          pulumi.ToStringArray([]string{"192.0.2.0/24", "2001:db8::/32"}),
		ForceOtp:           pulumi.Bool(true),
		PasswordExpiration: pulumi.Int(6),
		WebmailLanguage:    pulumi.String("en"),
		WebmailTimezone:    pulumi.String("Europe/Rome"),
		// Optional: pulumi config set --secret postmasterPassword <password>
		PostmasterPassword: optionalSecret(cfg, "postmasterPassword"),
	})
	if err != nil {
		return err
	}
	shop, err := qboxmail.NewDomainSettings(ctx, "shop", &qboxmail.DomainSettingsArgs{
		DomainCode:           pulumi.String(cfg.Require("shopDomainCode")),
		AntispamLevel:        pulumi.Int(2),
		AllowNets:            pulumi.ToStringArray([]string{"198.51.100.7"}),
		ForceOtp:             pulumi.Bool(true),
		PasswordExpiration:   pulumi.Int(12),
		WebmailLanguage:      pulumi.String("it"),
		WebmailTimezone:      pulumi.String("Europe/Rome"),
		MaxEmailAccounts25gb: pulumi.Int(10),
	})
	if err != nil {
		return err
	}
	ctx.Export("mainAntispamLevel", main.AntispamLevel)
	ctx.Export("shopAllowNets", shop.AllowNets)
	return nil
}

func optionalSecret(cfg *config.Config, key string) pulumi.StringPtrInput {
	if value, err := cfg.Try(key); err == nil {
		return pulumi.ToSecret(pulumi.String(value)).(pulumi.StringOutput)
	}
	return nil
}
