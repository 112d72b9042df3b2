"""The Olist producer as a Lambda inside the VPC, replaying CSVs from S3 into MSK."""
