// Command sdkgen writes the TypeScript, Go and Python SDKs of a Pulumi package schema.
//
//	sdkgen <schema.json> <out-dir>
//
// writes <out-dir>/nodejs, <out-dir>/go and <out-dir>/python with pkg/v3's own code generators,
// the ones `pulumi package gen-sdk` runs; it needs no language host and loads no other package.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const tool = "pulumi-qboxmail sdkgen"

// noLoader refuses every load: the package references no other package, so a load is a bug.
type noLoader struct{}

func (noLoader) LoadPackage(name string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("sdkgen loads no other package (asked for %q)", name)
}

func (noLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, fmt.Errorf("sdkgen loads no other package (asked for %q)", d.Name)
}

func (noLoader) LoadPackageReference(name string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, fmt.Errorf("sdkgen loads no other package (asked for %q)", name)
}

func (noLoader) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, fmt.Errorf("sdkgen loads no other package (asked for %q)", d.Name)
}

// bind binds a fresh copy each time: each generator records its language info on the package.
func bind(raw []byte) (*schema.Package, error) {
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("the schema is not valid JSON: %w", err)
	}
	pkg, diags, err := schema.BindSpec(spec, noLoader{}, schema.ValidationOptions{})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("the schema does not bind: %s", diags.Error())
	}
	return pkg, nil
}

func generate(raw []byte, out string) error {
	languages := map[string]func(*schema.Package) (map[string][]byte, error){
		"nodejs": func(p *schema.Package) (map[string][]byte, error) {
			return nodejs.GeneratePackage(tool, p, nil, nil, false, noLoader{})
		},
		"go": func(p *schema.Package) (map[string][]byte, error) {
			return gogen.GeneratePackage(tool, p, nil)
		},
		"python": func(p *schema.Package) (map[string][]byte, error) {
			return python.GeneratePackage(tool, p, nil, noLoader{})
		},
	}
	for _, language := range []string{"nodejs", "go", "python"} {
		pkg, err := bind(raw)
		if err != nil {
			return err
		}
		files, err := languages[language](pkg)
		if err != nil {
			return fmt.Errorf("%s: %w", language, err)
		}
		if language == "python" {
			// pyproject.toml names README.md beside itself, but the generator writes it only
			// inside the package; pip refuses to build without it.
			for name, content := range files {
				if filepath.Base(name) == "README.md" {
					files["README.md"] = content
				}
			}
		}
		for name, content := range files {
			path := filepath.Join(out, language, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(path, content, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: sdkgen <schema.json> <out-dir>")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	if err == nil {
		err = generate(raw, os.Args[2])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkgen:", err)
		os.Exit(1)
	}
}
