"""The local twin: the platform's code run against real local engines (Kafka, Kafka Connect, S3, DuckDB)."""
