//go:build tools

// Package tools pins the Pulumi CLI this project builds for its own end-to-end tests and demo:
// go.mod and go.sum here are the pin (see scripts/pulumi_cli.py).
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
