"""Batch ingestion of Olist CSV drops into typed Bronze Parquet: one code path for the Lambda and the CLI.

`handler.handler` is the Lambda entry point; `python -m lambdas.ingestion` is the CLI; `ingest.ingest_file`
does the work for one file. See README.md beside this file for the layout, the guarantees and the packaging.
"""
