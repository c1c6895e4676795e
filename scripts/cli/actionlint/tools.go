//go:build tools

// Package tools pins actionlint, the checker of this project's GitHub Actions workflows, in a
// module of its own: its go.sum fixes every dependency.
package tools

import (
	_ "github.com/rhysd/actionlint/cmd/actionlint"
)
