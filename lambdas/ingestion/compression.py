"""gzip-compressed drops (`.csv.gz`): decompressed as a stream, with a bound on how far a file may expand.

The ingestion sees the CSV inside: its sha256 and size are the CSV's, so a file and its gzip are the same file
(the second one is recognised as already ingested). A stream that is not valid gzip, or that expands beyond
`MAX_EXPANSION` times its compressed size (and at least `MIN_LIMIT_BYTES`), rejects the file: a decompression bomb
is refused after that much output, never expanded into memory or onto disk.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from contracts.validation import FileRejected
from lambdas.ingestion.storage import SourceFile

# Text CSVs compress 2-10x (the Olist files 2-4x); a decompression bomb about 1000x.
MAX_EXPANSION = 100
MIN_LIMIT_BYTES = 64 * 2**20
_CHUNK_BYTES = 8 * 2**20


class InvalidGzip(FileRejected):
    kind = "invalid_gzip"


class DecompressionLimit(FileRejected):
    kind = "decompression_limit"


class Gunzipped:
    """A read-only stream of the decompressed bytes. It ends early on a problem, which `problem` then holds."""

    def __init__(self, compressed: BinaryIO, compressed_size: int, name: str) -> None:
        self._compressed = compressed
        self._gzip = gzip.GzipFile(fileobj=compressed, mode="rb")
        self._compressed_size = compressed_size
        self._limit = max(MIN_LIMIT_BYTES, MAX_EXPANSION * compressed_size)
        self._name = name
        self._produced = 0
        self.problem: FileRejected | None = None
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(_CHUNK_BYTES), b""))
        if self.problem is not None:
            return b""
        try:
            # One byte past the limit tells a file that reaches it from one that goes beyond.
            chunk = self._gzip.read(min(size, self._limit - self._produced + 1))
        except (gzip.BadGzipFile, EOFError, zlib.error) as error:
            self.problem = InvalidGzip(f"not a valid gzip file (truncated or corrupt): {error}", self._name)
            return b""
        self._produced += len(chunk)
        if self._produced > self._limit:
            self.problem = DecompressionLimit(
                f"the gzip file expands beyond {MIN_LIMIT_BYTES // 2**20} MiB and {MAX_EXPANSION} times its "
                f"{self._compressed_size} bytes: refused as a possible decompression bomb; if it is a real "
                f"export, land it uncompressed",
                self._name,
            )
            return b""
        return chunk

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True
        try:
            self._gzip.close()
        finally:
            self._compressed.close()


@dataclass(frozen=True)
class GzipSource:
    """A `.csv.gz` drop seen as the CSV it holds; `compressed` is the object as it landed."""

    compressed: SourceFile

    @property
    def key(self) -> str:
        return self.compressed.key

    @property
    def uri(self) -> str:
        return self.compressed.uri

    @property
    def size(self) -> int:
        return self.compressed.size

    def open(self) -> Gunzipped:
        return Gunzipped(self.compressed.open(), self.compressed.size, self.compressed.key)


def stream_problem(stream: object) -> FileRejected | None:
    """Why a decompressed stream ended early, if it did (None for plain sources)."""
    return stream.problem if isinstance(stream, Gunzipped) else None
