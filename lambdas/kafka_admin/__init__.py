"""Custom resource that creates the environment's Kafka topics from inside the VPC, with IAM auth."""
