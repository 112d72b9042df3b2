"""The ingestion's logger (`lambdas.logs`), for the Lambda and the CLI alike."""

from lambdas.logs import json_logger

logger = json_logger("olist-ingestion")
