"""Python helpers around the dbt project: sources generated from the contracts, Athena named queries, local setup."""
