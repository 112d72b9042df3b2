"""The S3 sink connector: its plugin build (`connector.build`) and its one configuration (`connector.s3_sink`)."""
