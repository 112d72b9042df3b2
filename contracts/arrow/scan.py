"""What one streaming read of a source tells: its sha256 (the file's identity), size, last byte, and its quoting.

The quoting check decides whether Arrow's fast CSV reader may parse the file. Arrow and the `csv` module agree
on well-formed quoting, but Arrow silently accepts a quote left open at the end of the file (it swallows the
rest as one value) and text after a closing quote. So Arrow's reading of a file is kept only when every quote
opens right after a separator (or the start of the file) and closes right before one (or the end), with an
even count; any other file is re-read by the `csv` module, which reports the exact problem.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

CHUNK_BYTES = 8 * 2**20
_QUOTE = ord('"')
_EDGE = 256  # stands for "start or end of file": a quote may open or close there
_SEPARATORS = np.zeros(257, dtype=bool)
_SEPARATORS[[ord(","), ord("\n"), ord("\r"), _QUOTE, _EDGE]] = True
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class SourceFacts:
    sha256: str
    size: int
    ends_with_line_break: bool
    plain_quoting: bool


class Scanner:
    """Accumulates the facts of a byte stream fed to it chunk by chunk, in order."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()
        self._quotes = _QuoteCheck()
        self._size = 0
        self._last = b""

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self._quotes.feed(chunk[len(_BOM) :] if self._size == 0 and chunk.startswith(_BOM) else chunk)
        self._digest.update(chunk)
        self._size += len(chunk)
        self._last = chunk[-1:]

    def facts(self) -> SourceFacts:
        return SourceFacts(self._digest.hexdigest(), self._size, self._last in (b"\n", b"\r"), self._quotes.finish())


class ScanningReader:
    """A read-only stream that scans everything read through it, so parsing and hashing share one read."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._scanner = Scanner()
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self._scanner.feed(chunk)
        return chunk

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True

    def finish(self) -> SourceFacts:
        """Read whatever the parser left unread, and return the facts of the whole stream."""
        while self.read(CHUNK_BYTES):
            pass
        return self._scanner.facts()


def scan(stream: BinaryIO) -> SourceFacts:
    """The facts of a whole stream, read `CHUNK_BYTES` at a time."""
    return ScanningReader(stream).finish()


class _QuoteCheck:
    """Quotes alternate open/close; an opening one must follow a separator, a closing one precede a separator."""

    def __init__(self) -> None:
        self.count = 0
        self.byte_before_chunk = _EDGE
        self.closing_at_chunk_end = False
        self.plain = True

    def feed(self, chunk: bytes) -> None:
        if not self.plain or not chunk:
            return
        data = np.frombuffer(chunk, dtype=np.uint8)
        if self.closing_at_chunk_end and not _SEPARATORS[data[0]]:
            self.plain = False
            return
        byte_before_chunk, self.byte_before_chunk = self.byte_before_chunk, int(data[-1])
        self.closing_at_chunk_end = False
        positions = np.flatnonzero(data == _QUOTE)
        if not positions.size:
            return
        first_opening = self.count % 2
        opening, closing = positions[first_opening::2], positions[1 - first_opening :: 2]
        self.count += positions.size
        # A quote on the chunk's first byte is checked against the previous chunk's last byte, one on its last
        # byte against the next chunk's first byte (or the end of the file).
        before = data[np.maximum(opening - 1, 0)].astype(np.int16)
        if opening.size and opening[0] == 0:
            before[0] = byte_before_chunk
        after = data[np.minimum(closing + 1, data.size - 1)].astype(np.int16)
        if closing.size and closing[-1] == data.size - 1:
            after[-1] = _EDGE
            self.closing_at_chunk_end = True
        self.plain = bool(_SEPARATORS[before].all() and _SEPARATORS[after].all())

    def finish(self) -> bool:
        return self.plain and self.count % 2 == 0
