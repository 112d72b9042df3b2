"""Data-quality checkpoints on Bronze micro-batches: Great Expectations suites derived from `contracts/`.

`suites` (pure Python) turns each table contract into expectation specs; `batches` reads Bronze objects into
one pandas frame per table; `checkpoint` runs them through Great Expectations and writes Data Docs;
`python -m quality` is the entry point the `olist_transform` DAG runs (see README.md for why a subprocess).
"""

# The exit code of `python -m quality check` when expectations failed (the DAG's quality gate reads it).
EXIT_FAILED_EXPECTATIONS = 3
