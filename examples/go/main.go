package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"qboxmail-go/domains"
)

func main() {
	pulumi.Run(domains.Program)
}
