"""CDK stacks and constructs of one lakehouse environment."""
