"""The native face: the plugin `pulumi-resource-qboxmail`, its wire format and its schema."""
