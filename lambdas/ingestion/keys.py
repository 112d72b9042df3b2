"""Duplicate primary keys within one file, found in bounded memory.

Each loaded row's key is reduced to a 64-bit fingerprint (splitmix64 over the key bytes, vectorised with
numpy); the file's fingerprints are kept in sorted runs with the row that first used them: 12 bytes per
row, about 36 MB for the 3 million rows of a 500 MB file, instead of a Python set of key strings many times that.
Two different keys share a fingerprint with probability about n²/2⁶⁵ (2.4e-7 for 3 million rows); such a row
would be quarantined as a duplicate, naming the row it collided with, not lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


@dataclass(frozen=True)
class Duplicates:
    """Positions (in the batch) of rows whose key was already used, and the row numbers that used it first."""

    positions: np.ndarray
    first_rows: np.ndarray


class KeyIndex:
    """The fingerprints of the keys loaded so far from one file, as sorted runs with the row of each.

    Runs merge pairwise as they grow (like a binary counter) up to RUN_CAP entries, so a lookup searches a
    handful of runs and a merge never copies more than RUN_CAP entries at once.
    """

    RUN_CAP = 2**20

    def __init__(self) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, key_columns: list[pa.Array], row_numbers: np.ndarray) -> Duplicates:
        """Record the keys of a batch (rows in file order); return the rows that repeat an earlier key."""
        if not key_columns or not len(row_numbers):
            return Duplicates(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))
        fingerprints = fingerprint(key_columns)
        order = np.argsort(fingerprints)
        ordered = fingerprints[order]
        repeats_in_batch = np.zeros(ordered.size, dtype=bool)
        repeats_in_batch[1:] = ordered[1:] == ordered[:-1]
        if repeats_in_batch.any():
            # Equal keys must stay in file order so the first one is kept: sort by (fingerprint, position).
            order = np.lexsort((np.arange(ordered.size), fingerprints))
            ordered = fingerprints[order]
        # The first row of each run of equal fingerprints is the one kept.
        run_start = np.maximum.accumulate(np.where(repeats_in_batch, 0, np.arange(ordered.size)))

        seen_before = np.zeros(ordered.size, dtype=bool)
        owners = row_numbers[order].astype(np.int64)
        for run, rows in self._runs:
            slots = np.minimum(np.searchsorted(run, ordered), run.size - 1)
            found = run[slots] == ordered
            seen_before |= found
            owners[found] = rows[slots[found]]
        first_rows = owners[run_start]

        duplicate = repeats_in_batch | seen_before
        new = ~duplicate
        self._push(ordered[new], row_numbers[order[new]].astype(np.uint32))
        positions = order[duplicate]
        keep = np.argsort(positions, kind="stable")
        return Duplicates(positions[keep], first_rows[duplicate][keep])

    def _push(self, fingerprints: np.ndarray, rows: np.ndarray) -> None:
        if not fingerprints.size:
            return
        self._runs.append((fingerprints, rows))
        while len(self._runs) >= 2:
            (older, older_rows), (newer, newer_rows) = self._runs[-2], self._runs[-1]
            if older.size > newer.size or older.size + newer.size > self.RUN_CAP:
                break
            self._runs[-2:] = [_merge(older, older_rows, newer, newer_rows)]


def _merge(a: np.ndarray, a_rows: np.ndarray, b: np.ndarray, b_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two sorted runs as one, in a linear pass."""
    positions = np.searchsorted(a, b) + np.arange(b.size)
    from_a = np.ones(a.size + b.size, dtype=bool)
    from_a[positions] = False
    merged = np.empty(from_a.size, dtype=np.uint64)
    merged[positions], merged[from_a] = b, a
    merged_rows = np.empty(from_a.size, dtype=np.uint32)
    merged_rows[positions], merged_rows[from_a] = b_rows, a_rows
    return merged, merged_rows


def fingerprint(columns: list[pa.Array]) -> np.ndarray:
    """A 64-bit fingerprint per row of the given key columns (strings or integers, no nulls)."""
    combined = np.zeros(len(columns[0]), dtype=np.uint64)
    for column in columns:
        if pa.types.is_integer(column.type):
            part = _mix(column.to_numpy(zero_copy_only=False).astype(np.int64).view(np.uint64))
        else:
            part = _string_fingerprint(column)
        combined = _mix(combined * _GOLDEN + part)
    return combined


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit affects every output bit."""
    values = values ^ (values >> np.uint64(30))
    values = values * _MIX1
    values = values ^ (values >> np.uint64(27))
    values = values * _MIX2
    return values ^ (values >> np.uint64(31))


def _string_fingerprint(column: pa.Array) -> np.ndarray:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    offset_type = np.int64 if pa.types.is_large_string(column.type) else np.int32
    offsets = np.frombuffer(column.buffers()[1], dtype=offset_type)[column.offset : column.offset + len(column) + 1]
    offsets = offsets.astype(np.int64)
    data = np.frombuffer(column.buffers()[2], dtype=np.uint8) if column.buffers()[2] else np.empty(0, np.uint8)
    lengths = np.diff(offsets)
    width = max(8, int(-(-lengths.max() // 8) * 8)) if lengths.size else 8
    start = int(offsets[0])
    if lengths.size and (lengths == lengths[0]).all() and lengths[0] == width:
        matrix = data[start : start + lengths.size * width].reshape(lengths.size, width)
    else:
        matrix = np.zeros((lengths.size, width), dtype=np.uint8)
        rows = np.repeat(np.arange(lengths.size), lengths)
        columns = np.arange(int(offsets[-1]) - start) - np.repeat(offsets[:-1] - start, lengths)
        matrix[rows, columns] = data[start : int(offsets[-1])]
    words = np.ascontiguousarray(matrix).view(np.uint64)
    result = _mix(lengths.astype(np.uint64) + _GOLDEN)
    for index in range(words.shape[1]):
        result = _mix(result ^ words[:, index])
    return result
