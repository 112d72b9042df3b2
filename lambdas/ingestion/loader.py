"""One pass over a file's raw batches: type, judge, de-duplicate, and write Parquet and quarantine temp files."""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from contracts.arrow.readers import RawBatch, RawReject
from contracts.arrow.screen import screen
from contracts.olist import ColumnType, TableContract
from lambdas.ingestion.keys import KeyIndex
from lambdas.ingestion.schema import SOURCE_KEY, TIMESTAMP_TYPE, bronze_schema, contract_schema

# zstd: Bronze files a third smaller than snappy's at a similar speed; Athena, Glue and DuckDB all read it.
COMPRESSION = "zstd"


def dictionary_columns(table: TableContract) -> list[str]:
    """Columns worth dictionary-encoding: repetitive strings (statuses, cities, categories, zips, the source key).

    Identifiers (`*_id`) and numbers are unique or nearly so; trying a dictionary on them costs time for nothing.
    """
    names = [c.name for c in table.columns if c.type is ColumnType.STRING and not c.name.endswith("_id")]
    return [*names, SOURCE_KEY]


class FileLoader:
    """Writes the loaded rows of one file to `<dir>/bronze.parquet` and its rejected rows to `<dir>/quarantine.jsonl`.

    One Parquet row group per batch keeps memory bounded by the batch size, whatever the file size.
    """

    def __init__(self, table: TableContract, directory: Path, source_key: str, ingested_at: datetime) -> None:
        self.table = table
        self.parquet_path = directory / "bronze.parquet"
        self.quarantine_path = directory / "quarantine.jsonl"
        self.rows_read = 0
        self.rows_loaded = 0
        self.rows_quarantined = 0
        self._source_key = source_key
        self._ingested_at = np.datetime64(ingested_at.replace(tzinfo=None), "ms")
        self._schema = contract_schema(table)
        self._key_positions = [table.column_names.index(name) for name in table.primary_key]
        self._keys = KeyIndex()
        self._writer = pq.ParquetWriter(
            self.parquet_path, bronze_schema(table), compression=COMPRESSION, use_dictionary=dictionary_columns(table)
        )
        self._quarantine = open(self.quarantine_path, "wb")  # noqa: SIM115 - closed by close() or abort()
        # Parquet encoding runs beside the next batch's parsing and validation (both release the GIL); one batch
        # in flight keeps memory bounded.
        self._encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet")
        self._in_flight: Future[None] | None = None

    def take(self, item: RawBatch | RawReject) -> None:
        if isinstance(item, RawReject):
            self.rows_read += 1
            self._reject(item.row_number, item.line_number, item.raw, item.reason, item.column)
        else:
            self.rows_read += len(item.row_numbers)
            self._load(item)

    def close(self) -> None:
        self._finish()
        if self.rows_read != self.rows_loaded + self.rows_quarantined:
            raise RuntimeError(
                f"bug: {self.rows_read} rows read but {self.rows_loaded} loaded + {self.rows_quarantined} quarantined"
            )

    def abort(self) -> None:
        """Release the files after a failed pass (the caller re-raises the failure)."""
        self._finish()

    def _finish(self) -> None:
        try:
            self._drain()
        finally:
            self._encoder.shutdown(wait=True)
            self._writer.close()
            self._quarantine.close()

    def _load(self, batch: RawBatch) -> None:
        screened = screen(self.table, batch.columns)
        if screened.suspect.true_count:
            suspect = screened.suspect.to_numpy(zero_copy_only=False)
            good = pc.invert(screened.suspect)
            typed = pa.Table.from_arrays([pc.filter(c, good) for c in screened.columns], schema=self._schema)
            typed, positions = self._judge(batch, np.flatnonzero(suspect), typed, np.flatnonzero(~suspect))
        else:
            typed = pa.Table.from_arrays(screened.columns, schema=self._schema)
            positions = np.arange(len(batch.row_numbers))
        rows = batch.row_numbers[positions]
        if self._key_positions and typed.num_rows:
            duplicates = self._keys.add([typed.column(i) for i in self._key_positions], rows)
            if duplicates.positions.size:
                typed, rows = self._drop_duplicates(batch, typed, positions, rows, duplicates)
        self._write(typed, rows)

    def _drain(self) -> None:
        """Wait for the batch being encoded; its error, if any, surfaces here."""
        in_flight, self._in_flight = self._in_flight, None
        if in_flight is not None:
            in_flight.result()

    def _judge(
        self, batch: RawBatch, suspects: np.ndarray, typed: pa.Table, positions: np.ndarray
    ) -> tuple[pa.Table, np.ndarray]:
        """`parse_row` decides on each suspect row: quarantined with its reason, or loaded after all."""
        verdicts = batch.judged(self.table, suspects)
        for position, rejected in verdicts.rejected:
            raw = batch.raw_row(position)
            self._reject(int(batch.row_numbers[position]), None, raw, rejected.reason, rejected.column)
        if not verdicts.accepted:
            return typed, positions
        accepted = pa.Table.from_pylist([values for _, values in verdicts.accepted], schema=self._schema)
        merged = pa.concat_tables([typed, accepted])
        accepted_positions = np.array([position for position, _ in verdicts.accepted], dtype=positions.dtype)
        all_positions = np.concatenate([positions, accepted_positions])
        order = np.argsort(all_positions, kind="stable")
        return merged.take(order), all_positions[order]

    def _drop_duplicates(
        self, batch: RawBatch, typed: pa.Table, positions: np.ndarray, rows: np.ndarray, duplicates
    ) -> tuple[pa.Table, np.ndarray]:
        key = ", ".join(self.table.primary_key)
        for index, first_row in zip(duplicates.positions.tolist(), duplicates.first_rows.tolist(), strict=True):
            raw = batch.raw_row(int(positions[index]))
            values = tuple(raw[name] for name in self.table.primary_key)
            reason = f"duplicate primary key ({key}) = {values!r}: row {first_row} of this file already has it"
            self._reject(int(rows[index]), None, raw, reason, self.table.primary_key[0])
        keep = np.ones(typed.num_rows, dtype=bool)
        keep[duplicates.positions] = False
        return typed.filter(pa.array(keep)), rows[keep]

    def _write(self, typed: pa.Table, rows: np.ndarray) -> None:
        count = typed.num_rows
        lineage = [
            pa.repeat(pa.scalar(self._source_key, pa.string()), count),
            pa.array(rows, pa.int64()),
            pa.array(np.full(count, self._ingested_at), TIMESTAMP_TYPE),
        ]
        columns = [_contiguous(column) for column in typed.columns] + lineage
        table = pa.Table.from_arrays(columns, schema=self._writer.schema)
        self._drain()
        self._in_flight = self._encoder.submit(self._writer.write_table, table)
        self.rows_loaded += count

    def _reject(self, row: int, line: int | None, raw: dict[str, str | None], reason: str, column: str | None) -> None:
        entry = {
            "table": self.table.name,
            "source_key": self._source_key,
            "row": row,
            "line": line,
            "column": column,
            "reason": reason,
            "raw": raw,
        }
        self._quarantine.write(json.dumps(entry, ensure_ascii=False).encode() + b"\n")
        self.rows_quarantined += 1


def _contiguous(column: pa.ChunkedArray) -> pa.Array:
    """The column as one array; `combine_chunks` copies even a single chunk, and most batches have one."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
