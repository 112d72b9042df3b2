"""Which files the ingestion takes, and why it leaves or refuses the others: one rule for the Lambda's landing keys
and for the CLI's and the local twin's folders.

A landing key belongs to the table of its first path segment (`contracts.layout.landing_prefix(table)`); in a
folder, a file named like an original Olist file belongs to its table, and the files under a sub-folder named after
a table are read as landing keys (`orders/2024-01.csv`). Either way the ingestion takes:

- `.csv`, and `.csv.gz` (gzip: exports are often shared compressed), read as a stream (`compression.py`);

and refuses (an error: the file was meant as data): a key outside every table prefix, a CSV with a name no table
has (the closest Olist name is suggested), an archive (`.zip`: the Kaggle download holds the 9 CSVs, so which
table is it?), or another format under a table's prefix or with an Olist file's name (`.xlsx`). What is plainly not
data (a README, a folder marker, a sub-folder not named after a table, the producer's `replay/` sources) is
skipped with the reason, and listed.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from contracts.layout import is_replay_source, landing_prefix
from contracts.olist import TABLES, TableContract

CSV_SUFFIX = ".csv"
GZIP_SUFFIX = ".gz"
READABLE = f"{CSV_SUFFIX} and {CSV_SUFFIX}{GZIP_SUFFIX}"
_ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz", ".7z", ".rar")
_EXPORT_AS_CSV = f"export it as CSV ({CSV_SUFFIX}, or gzipped {CSV_SUFFIX}{GZIP_SUFFIX})"


class Refused(ValueError):
    """A file meant as data that the ingestion cannot take; the message says why and what to do."""


class UnknownTable(Refused):
    """A landing key outside every table prefix: nothing can say how to read it."""


@dataclass(frozen=True)
class Take:
    """Ingest the file as `table`; `gzip`: decompress it on the way in."""

    table: TableContract
    gzip: bool = False


@dataclass(frozen=True)
class Skip:
    """Leave the file alone (it is not data); `reason` is listed with it."""

    reason: str


def landing_verdict(key: str) -> Take | Skip:
    """The verdict on a landing object; raises `Refused`."""
    if key.endswith("/"):
        return Skip("folder marker")
    if is_replay_source(key):
        return Skip("a CSV set for the producer to replay into Kafka, not batch-ingested")
    table = next((t for t in TABLES.values() if key.startswith(landing_prefix(t.name))), None)
    if table is None:
        prefixes = ", ".join(sorted(landing_prefix(name) for name in TABLES))
        raise UnknownTable(
            f"landing key {key!r} is not under a table prefix, so its table is unknown; "
            f"drop Olist CSVs under one of: {prefixes}"
        )
    name = PurePosixPath(key).name
    if _is_archive(name):
        raise Refused(_archive_reason(name))
    if not _is_csv(name):
        raise Refused(f"not a CSV ({_suffix(name)}): {_EXPORT_AS_CSV}")
    return Take(table, gzip=name.lower().endswith(GZIP_SUFFIX))


@dataclass(frozen=True)
class FolderEntry:
    """A file (or a folder left unread) of a source folder, with its landing key when taken."""

    path: Path
    verdict: Take | Skip | Refused
    key: str = ""


def folder_verdicts(folder: Path, table_folders: bool = True) -> list[FolderEntry]:
    """A verdict on every entry of `folder`; with `table_folders`, the files under `<table>/` sub-folders too."""
    entries = []
    for path in sorted(folder.iterdir()):
        if path.is_dir():
            if table_folders and path.name in TABLES:
                for file in sorted(p for p in path.rglob("*") if p.is_file()):
                    key = file.relative_to(folder).as_posix()
                    entries.append(FolderEntry(file, _verdict(landing_verdict, key), key))
            else:
                reason = "a folder not named after a table" if table_folders else "a sub-folder"
                entries.append(FolderEntry(path, Skip(reason)))
        elif path.is_file():
            verdict = _verdict(file_verdict, path.name)
            key = f"{landing_prefix(verdict.table.name)}{path.name}" if isinstance(verdict, Take) else ""
            entries.append(FolderEntry(path, verdict, key))
    return entries


def file_verdict(name: str) -> Take | Skip:
    """The verdict on a file at the top of a folder, by its name; raises `Refused`."""
    table = _table_named(name)
    if _is_archive(name):
        raise Refused(_archive_reason(name))
    if not _is_csv(name):
        if table is not None:
            raise Refused(
                f"the file is named like the Olist file of table {table.name!r} but is not a CSV "
                f"({_suffix(name)}): {_EXPORT_AS_CSV}"
            )
        return Skip(f"not a CSV ({_suffix(name) or 'no extension'}); the ingestion reads {READABLE} files")
    if table is None or _csv_name(name) != table.file_name:
        close = difflib.get_close_matches(_csv_name(name), [t.file_name for t in TABLES.values()], n=1)
        known = ", ".join(sorted(t.file_name for t in TABLES.values()))
        hint = f"did you mean {close[0]!r}?" if close else f"name it as its table's original file ({known})"
        raise Refused(f"{name!r} is not an Olist file name ({hint}) nor under a <table>/ sub-folder")
    return Take(table, gzip=name.lower().endswith(GZIP_SUFFIX))


def _verdict(rule: Callable[[str], Take | Skip], name: str) -> Take | Skip | Refused:
    try:
        return rule(name)
    except Refused as refused:
        return refused


def _table_named(name: str) -> TableContract | None:
    stem = name.split(".", 1)[0]
    return next((t for t in TABLES.values() if t.file_name.removesuffix(CSV_SUFFIX) == stem), None)


def _csv_name(name: str) -> str:
    return name[: -len(GZIP_SUFFIX)] if name.lower().endswith(GZIP_SUFFIX) else name


def _is_csv(name: str) -> bool:
    return _csv_name(name).lower().endswith(CSV_SUFFIX)


def _is_archive(name: str) -> bool:
    return name.lower().endswith(_ARCHIVE_SUFFIXES)


def _suffix(name: str) -> str:
    return "".join(PurePosixPath(name).suffixes[-2:]) if name.lower().endswith(GZIP_SUFFIX) else Path(name).suffix


def _archive_reason(name: str) -> str:
    return (
        f"a {_suffix(name)} archive is not read: unzip it (the Kaggle download holds the 9 CSVs) "
        f"or gzip each CSV ({CSV_SUFFIX}{GZIP_SUFFIX})"
    )
