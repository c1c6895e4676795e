// Runs one Automation API operation on a Node.js inline program with the generated SDK:
// examples/typescript's own program (compiled by tsc), or the scenario's resources. The plan
// comes as JSON in argv[2]; the outcome goes to stdout as one JSON object. The Python tests drive
// it (tests/test_sdk_e2e.py). Modules come from examples/typescript, so the program, the SDK and
// the Automation API share one @pulumi/pulumi.
"use strict";
const path = require("path");
const { createRequire } = require("module");

const plan = JSON.parse(process.argv[2]);
const load = createRequire(path.join(plan.nodeProject, "package.json"));
const pulumi = load("@pulumi/pulumi");
const auto = load("@pulumi/pulumi/automation");
const qboxmail = load("@pulumi-qboxmail/qboxmail");

function scenario() {
    return async () => {
        const providers = {};
        for (const [name, account] of Object.entries(plan.providers || {})) {
            providers[name] = new qboxmail.Provider(name, account);
        }
        for (const domain of plan.resources || []) {
            const args = { ...domain.args };
            if (args.postmasterPassword !== undefined) {
                args.postmasterPassword = pulumi.secret(args.postmasterPassword);
            }
            const opts = domain.provider ? { provider: providers[domain.provider] } : undefined;
            new qboxmail.DomainSettings(domain.name, args, opts);
        }
    };
}

async function run() {
    const program =
        plan.program === "example" ? load(path.join(plan.nodeProject, "bin", "index.js")) : scenario();
    const stack = await auto.LocalWorkspace.createOrSelectStack(
        { stackName: plan.stack, projectName: plan.project, program },
        { workDir: plan.workDir },
    );
    const config = {};
    for (const [key, value] of Object.entries(plan.config || {})) config[key] = { value };
    for (const [key, value] of Object.entries(plan.secrets || {})) config[key] = { value, secret: true };
    await stack.setAllConfig(config);
    const lines = [];
    const onOutput = (text) => lines.push(text);
    if (plan.op === "preview") {
        const result = await stack.preview({ onOutput });
        return { changes: result.changeSummary, output: lines.join("") };
    }
    if (plan.op === "up") {
        const result = await stack.up({ onOutput });
        return { summary: result.summary.resourceChanges, output: lines.join("") };
    }
    if (plan.op === "refresh") {
        await stack.refresh({ onOutput });
        return { output: lines.join("") };
    }
    throw new Error(`unknown op ${plan.op}`);
}

run().then(
    (result) => process.stdout.write(JSON.stringify({ ...result, ok: true }) + "\n"),
    (error) => process.stdout.write(JSON.stringify({ ok: false, error: String(error) }) + "\n"),
);
