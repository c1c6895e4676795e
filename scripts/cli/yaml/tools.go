//go:build tools

// Package tools pins pulumi-yaml's language host in a module of its own, so its dependency
// versions are the ones pulumi-yaml was released with, not the CLI's.
package tools

import (
	_ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
)
