"""The settings a user passes to an entry point, checked before any work starts, and how a bad one is reported.

Every command line (`python -m localtwin`, `producers`, `lambdas.ingestion`, `datagen`) resolves its options with
`setting()`, which names the setting as the user wrote it: the option (`--orders`) when given, else the
environment variable standing in for it (`ORDERS`, which is how `make run ORDERS=...` passes it). A value that
cannot be used raises `BadSetting`; `report()` prints it as `error: <setting>=<value>: <what is wrong>` and the
entry point exits with `EXIT_BAD_SETTING`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

EXIT_BAD_SETTING = 2


class BadSetting(ValueError):
    """A setting whose value cannot be used; the message names the setting, its value and what is wrong."""

    def __init__(self, setting: str, value: object, problem: str) -> None:
        super().__init__(f"{setting}={value}: {problem}")
        self.setting = setting
        self.value = value
        self.problem = problem


def report(error: BadSetting) -> int:
    print(f"error: {error}", file=sys.stderr)
    return EXIT_BAD_SETTING


def setting(given: str | None, option: str, parse: Callable[[str], T], env: str | None = None, default: str = "") -> T:
    """`parse` applied to the option's value if given, else the environment variable's (if set), else `default`.

    `parse` raises `ValueError` saying what is wrong; it becomes a `BadSetting` naming where the value came from.
    """
    name = setting_name(given, option, env)
    text = given if given is not None else os.environ.get(env or "") or default
    try:
        return parse(text)
    except ValueError as error:
        raise BadSetting(name, text, str(error)) from error


def setting_name(given: str | None, option: str, env: str | None = None) -> str:
    """How the user set it: the option when given, else the environment variable when set, else the option."""
    return env if given is None and env and os.environ.get(env) else option


def positive_int(text: str) -> int:
    value = _integer(text, "a positive integer")
    if value < 1:
        raise ValueError("must be a positive integer")
    return value


def non_negative_int(text: str) -> int:
    value = _integer(text, "an integer, 0 or more")
    if value < 0:
        raise ValueError("must be an integer, 0 or more")
    return value


def positive_number(text: str) -> float:
    value = _number(text)
    if not value > 0:
        raise ValueError("must be a number greater than zero")
    return value


def non_negative_number(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise ValueError("must be zero or more")
    return value


def existing_folder(text: str) -> Path:
    path = Path(text).expanduser()
    if not path.exists():
        raise ValueError("no such folder")
    if not path.is_dir():
        raise ValueError("is a file, not a folder")
    return path


def folder_to_create(text: str) -> Path:
    """A folder that exists or can be created: nothing on its path is a file."""
    path = Path(text).expanduser()
    for part in (path, *path.parents):
        if part.exists():
            if not part.is_dir():
                raise ValueError(f"{part} is a file, not a folder" if part != path else "is a file, not a folder")
            return path
    return path


def file_to_create(text: str) -> Path:
    """A file that can be written: not a folder, and its folder can be created."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise ValueError("is a folder; give a file name")
    folder_to_create(str(path.parent))
    return path


def _integer(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"must be {what}") from None


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("must be a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("must be a finite number")
    return value
