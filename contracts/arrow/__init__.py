"""Reading Olist CSVs with Arrow, row for row as `contracts.validation` reads and judges them.

Shared by the batch ingestion and the producer: `scan` decides whether Arrow may parse a file, `readers` parses
it (Arrow, or the `csv` module when Arrow cannot read it exactly alike) and `screen` flags, in bulk, the rows
`contracts.validation.parse_row` must judge. `types` maps contract types to Arrow types.
"""
