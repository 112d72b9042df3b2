"""How the original Kaggle files are written, file by file (see ../shared/olist/README.md, "Format quirks").

- Headers are fully quoted, except the translation file's.
- A string value is quoted when it starts with a digit (ids like "9ef4...", zip prefixes like "01151") or holds
  a comma, a quote (doubled) or a line break. Numbers, timestamps and empty values are never quoted.
- Reviews: `review_id` and `order_id` are always quoted; free text only when it holds a comma, quote or line
  break (a message starting with a digit is not quoted). CRLF line endings, also inside multi-line texts.
- Translation: UTF-8 BOM, CRLF, no final line terminator.
- Everything else: LF, ending with a line terminator.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from contracts.olist import TABLES, ColumnType, TableContract


@dataclass(frozen=True)
class FileFormat:
    line_end: str = "\n"
    bom: bool = False
    quoted_header: bool = True
    final_line_end: bool = True
    always_quoted: tuple[str, ...] = ()
    # String columns quoted only for a comma, quote or line break, never for a leading digit.
    free_text: tuple[str, ...] = ()


FORMATS: dict[str, FileFormat] = {
    "order_reviews": FileFormat(
        line_end="\r\n",
        always_quoted=("review_id", "order_id"),
        free_text=("review_comment_title", "review_comment_message"),
    ),
    "product_category_name_translation": FileFormat(
        line_end="\r\n", bom=True, quoted_header=False, final_line_end=False
    ),
}
DEFAULT_FORMAT = FileFormat()
_SPECIAL = (",", '"', "\n", "\r")
_ROWS_PER_WRITE = 65_536


def quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def id_text(text: str) -> str:
    """A string value under the default rule: quoted when it starts with a digit or holds a special character."""
    if text[:1].isdigit() or any(char in text for char in _SPECIAL):
        return quote(text)
    return text


def free_text(text: str) -> str:
    return quote(text) if any(char in text for char in _SPECIAL) else text


def column_writer(table: TableContract, column: str):
    """The function turning a column's raw text ('' for empty) into its field as the original writes it."""
    file_format = FORMATS.get(table.name, DEFAULT_FORMAT)
    if column in file_format.always_quoted:
        return quote
    if table.column(column).type is not ColumnType.STRING:
        return None  # written as is
    return free_text if column in file_format.free_text else id_text


def write_table(table_name: str, columns: dict[str, list[str]], path: Path) -> None:
    """Write one table: `columns` maps every contract column to its raw texts ('' for empty), in row order.

    Rows are formatted and written `_ROWS_PER_WRITE` at a time, so the text in memory stays small whatever the size.
    """
    table = TABLES[table_name]
    file_format = FORMATS.get(table_name, DEFAULT_FORMAT)
    names = table.column_names
    writers = [column_writer(table, name) for name in names]
    header = ",".join(quote(name) if file_format.quoted_header else name for name in names)
    line_end = file_format.line_end
    rows = len(columns[names[0]])
    with open(path, "wb") as out:
        out.write((b"\xef\xbb\xbf" if file_format.bom else b"") + (header + line_end).encode("utf-8"))
        for start in range(0, rows, _ROWS_PER_WRITE) or [0]:
            end = start + _ROWS_PER_WRITE
            fields: list[Iterable[str]] = []
            for name, writer in zip(names, writers, strict=True):
                values = columns[name][start:end]
                fields.append(values if writer is None else [writer(v) if v else "" for v in values])
            body = line_end.join(map(",".join, zip(*fields, strict=True)))
            ending = line_end if end < rows or file_format.final_line_end else ""
            out.write((body + ending).encode("utf-8"))
