"""Where files come from (a landing object or a local file) and where Bronze goes (a bucket or a local folder).

Both sides are tiny interfaces so the ingestion runs unchanged in the Lambda (S3 to S3), on the local
S3-compatible server and on plain folders.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from lambdas.ingestion.retry import s3_retry

# Two 16 MiB parts in flight bounds upload memory to ~32 MiB whatever the file size.
TRANSFER_CONFIG = TransferConfig(multipart_threshold=16 * 2**20, multipart_chunksize=16 * 2**20, max_concurrency=2)


class SourceFile(Protocol):
    """A CSV drop: its landing key (`<table>/...`), where it lives, and a way to stream it."""

    key: str
    uri: str
    size: int

    def open(self) -> BinaryIO: ...


class Bronze(Protocol):
    """The Bronze store: small JSON documents and whole files under keys of `contracts.layout`."""

    uri: str

    def read_json(self, key: str) -> dict[str, Any] | None: ...

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def put_file(self, key: str, path: Path) -> None: ...

    def put_stream(self, key: str, stream: BinaryIO) -> None: ...

    def list_keys(self, prefix: str = "") -> list[str]: ...

    def read_bytes(self, key: str) -> bytes: ...


@dataclass(frozen=True)
class LocalSource:
    path: Path
    key: str

    @property
    def uri(self) -> str:
        return self.path.resolve().as_uri()

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def open(self) -> BinaryIO:
        return open(self.path, "rb")


@dataclass(frozen=True)
class S3Source:
    """One landing object, pinned to the ETag seen first so every pass reads the same bytes."""

    client: Any
    bucket: str
    key: str
    etag: str
    size: int

    @classmethod
    @s3_retry
    def head(cls, client: Any, bucket: str, key: str) -> S3Source:
        try:
            head = client.head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                raise FileNotFoundError(f"s3://{bucket}/{key} does not exist (deleted after the event?)") from error
            raise
        return cls(client, bucket, key, head["ETag"], head["ContentLength"])

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @s3_retry
    def open(self) -> BinaryIO:
        # IfMatch: if the object is overwritten between passes, fail loudly instead of mixing two versions.
        response = self.client.get_object(Bucket=self.bucket, Key=self.key, IfMatch=self.etag)
        return response["Body"]


@dataclass(frozen=True)
class S3Bronze:
    client: Any
    bucket: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}"

    @s3_retry
    def read_json(self, key: str) -> dict[str, Any] | None:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey"}:
                return None
            raise
        return json.loads(body)

    @s3_retry
    def put_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data)

    @s3_retry
    def put_file(self, key: str, path: Path) -> None:
        self.client.upload_file(str(path), self.bucket, key, Config=TRANSFER_CONFIG)

    def put_stream(self, key: str, stream: BinaryIO) -> None:
        self.client.upload_fileobj(stream, self.bucket, key, Config=TRANSFER_CONFIG)

    @s3_retry
    def list_keys(self, prefix: str = "") -> list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    @s3_retry
    def read_bytes(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()


@dataclass(frozen=True)
class LocalBronze:
    root: Path

    @property
    def uri(self) -> str:
        return self.root.resolve().as_uri()

    def read_json(self, key: str) -> dict[str, Any] | None:
        path = self.root / key
        return json.loads(path.read_bytes()) if path.is_file() else None

    def put_bytes(self, key: str, data: bytes) -> None:
        with self._atomic(key) as target:
            target.write(data)

    def put_file(self, key: str, path: Path) -> None:
        target = self.root / key
        partial = target.with_name(target.name + ".partial")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, partial)  # in-kernel copy where the OS offers one
        os.replace(partial, target)

    def put_stream(self, key: str, stream: BinaryIO) -> None:
        with self._atomic(key) as target:
            shutil.copyfileobj(stream, target, 4 * 2**20)

    def list_keys(self, prefix: str = "") -> list[str]:
        if not self.root.is_dir():
            return []
        keys = (path.relative_to(self.root).as_posix() for path in self.root.rglob("*") if path.is_file())
        return sorted(key for key in keys if key.startswith(prefix) and not key.endswith(".partial"))

    def read_bytes(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def _atomic(self, key: str) -> _AtomicFile:
        return _AtomicFile(self.root / key)


class _AtomicFile:
    """Write to `<path>.partial` and rename on success, so readers never see half a file."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._partial = path.with_name(path.name + ".partial")

    def __enter__(self) -> BinaryIO:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self._partial, "wb")
        return self._file

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        self._file.close()
        if exc_type is None:
            os.replace(self._partial, self._path)
        else:
            self._partial.unlink(missing_ok=True)


def s3_client(endpoint_url: str | None = None) -> Any:
    """An S3 client; `endpoint_url` (or AWS_ENDPOINT_URL_S3) points it at an S3-compatible server."""
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": 3},
        s3={"addressing_style": "path"} if endpoint_url else {},
    )
    return boto3.client("s3", endpoint_url=endpoint_url, config=config)
