"""Cost estimate of one synthesized environment, from its CloudFormation templates and a dated price table."""
