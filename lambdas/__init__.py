"""Lambda function code, one package per function."""
