// Command e2e runs one Automation API operation on a Go inline program with the generated SDK:
// examples/go's own program, or the scenario's resources. The plan comes as JSON in argv[1]; the
// outcome goes to stdout as one JSON object. The Python tests drive it (tests/test_sdk_e2e.py).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optrefresh"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/pulumi-qboxmail/pulumi-qboxmail/sdk/go/qboxmail"
	"qboxmail-go/domains"
)

type account struct {
	Endpoint string `json:"endpoint"`
	APIToken string `json:"apiToken"`
}

type domain struct {
	Name     string         `json:"name"`
	Provider string         `json:"provider"`
	Args     map[string]any `json:"args"`
}

type plan struct {
	Op        string             `json:"op"`
	Project   string             `json:"project"`
	Stack     string             `json:"stack"`
	WorkDir   string             `json:"workDir"`
	Program   string             `json:"program"`
	Config    map[string]string  `json:"config"`
	Secrets   map[string]string  `json:"secrets"`
	Providers map[string]account `json:"providers"`
	Resources []domain           `json:"resources"`
}

// args sets the typed Args the scenarios use; an argument it does not know is an error, so a
// scenario never silently tests less than it says.
func args(values map[string]any) (*qboxmail.DomainSettingsArgs, error) {
	out := &qboxmail.DomainSettingsArgs{}
	for key, value := range values {
		switch key {
		case "domainCode":
			out.DomainCode = pulumi.String(value.(string))
		case "antispamLevel":
			out.AntispamLevel = pulumi.Int(int(value.(float64)))
		case "maxEmailQuota":
			out.MaxEmailQuota = pulumi.Float64(value.(float64))
		case "defaultQuota":
			out.DefaultQuota = pulumi.Float64(value.(float64))
		case "postmasterPassword":
			out.PostmasterPassword = pulumi.ToSecret(pulumi.String(value.(string))).(pulumi.StringOutput)
		default:
			return nil, fmt.Errorf("the Go driver does not set %q", key)
		}
	}
	return out, nil
}

func scenario(p plan) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		providers := map[string]pulumi.ProviderResource{}
		for name, a := range p.Providers {
			provider, err := qboxmail.NewProvider(ctx, name, &qboxmail.ProviderArgs{
				Endpoint: pulumi.String(a.Endpoint),
				ApiToken: pulumi.String(a.APIToken),
			})
			if err != nil {
				return err
			}
			providers[name] = provider
		}
		for _, d := range p.Resources {
			values, err := args(d.Args)
			if err != nil {
				return err
			}
			var opts []pulumi.ResourceOption
			if d.Provider != "" {
				opts = append(opts, pulumi.Provider(providers[d.Provider]))
			}
			if _, err := qboxmail.NewDomainSettings(ctx, d.Name, values, opts...); err != nil {
				return err
			}
		}
		return nil
	}
}

func run(p plan) (map[string]any, error) {
	ctx := context.Background()
	program := scenario(p)
	if p.Program == "example" {
		program = domains.Program
	}
	stack, err := auto.UpsertStackInlineSource(ctx, p.Stack, p.Project, program, auto.WorkDir(p.WorkDir))
	if err != nil {
		return nil, err
	}
	for key, value := range p.Config {
		if err := stack.SetConfig(ctx, key, auto.ConfigValue{Value: value}); err != nil {
			return nil, err
		}
	}
	for key, value := range p.Secrets {
		if err := stack.SetConfig(ctx, key, auto.ConfigValue{Value: value, Secret: true}); err != nil {
			return nil, err
		}
	}
	var output strings.Builder
	switch p.Op {
	case "preview":
		result, err := stack.Preview(ctx, optpreview.ProgressStreams(&output))
		return map[string]any{"changes": result.ChangeSummary, "output": output.String()}, err
	case "up":
		result, err := stack.Up(ctx, optup.ProgressStreams(&output))
		return map[string]any{"output": output.String(), "summary": result.Summary.ResourceChanges}, err
	case "refresh":
		_, err := stack.Refresh(ctx, optrefresh.ProgressStreams(&output))
		return map[string]any{"output": output.String()}, err
	}
	return nil, fmt.Errorf("unknown op %q", p.Op)
}

func main() {
	var p plan
	if err := json.Unmarshal([]byte(os.Args[1]), &p); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: bad plan:", err)
		os.Exit(2)
	}
	result, err := run(p)
	if result == nil {
		result = map[string]any{}
	}
	result["ok"] = err == nil
	if err != nil {
		result["error"] = err.Error()
	}
	_ = json.NewEncoder(os.Stdout).Encode(result)
}
