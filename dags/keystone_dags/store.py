"""The artifacts location (Data Docs, orchestration state): `s3://bucket/prefix` in the cloud, a folder locally."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class ArtifactStore(Protocol):
    def write_text(self, key: str, text: str) -> None: ...

    def read_text(self, key: str) -> str | None:
        """The object's text, None when there is none."""
        ...

    def list_keys(self, prefix: str) -> list[str]: ...

    def upload_tree(self, local_dir: Path, prefix: str) -> str: ...


@dataclass(frozen=True)
class FolderStore:
    root: Path

    def write_text(self, key: str, text: str) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(text)
        partial.replace(path)

    def read_text(self, key: str) -> str | None:
        path = self.root / key
        return path.read_text() if path.is_file() else None

    def list_keys(self, prefix: str) -> list[str]:
        base = self.root / prefix
        if not base.exists():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file())

    def upload_tree(self, local_dir: Path, prefix: str) -> str:
        import shutil

        target = self.root / prefix
        if local_dir.resolve() != target.resolve():
            shutil.copytree(local_dir, target, dirs_exist_ok=True)
        return str(target)


@dataclass(frozen=True)
class S3Store:
    hook: object  # airflow.providers.amazon.aws.hooks.s3.S3Hook
    bucket: str
    prefix: str

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def write_text(self, key: str, text: str) -> None:
        self.hook.load_string(text, self._key(key), self.bucket, replace=True)  # type: ignore[attr-defined]

    def read_text(self, key: str) -> str | None:
        if not self.hook.check_for_key(self._key(key), self.bucket):  # type: ignore[attr-defined]
            return None
        return self.hook.read_key(self._key(key), self.bucket)  # type: ignore[attr-defined]

    def list_keys(self, prefix: str) -> list[str]:
        keys = self.hook.list_keys(self.bucket, prefix=self._key(prefix)) or []  # type: ignore[attr-defined]
        strip = len(self._key(""))
        return sorted(key[strip:] for key in keys)

    def upload_tree(self, local_dir: Path, prefix: str) -> str:
        # S3Hook.load_file takes no per-call ExtraArgs (apache-airflow-providers-amazon 9.12.0, the Airflow 3.0.6
        # constraint): the content type goes to the hook's client directly.
        client = self.hook.get_conn()  # type: ignore[attr-defined]
        for path in sorted(p for p in local_dir.rglob("*") if p.is_file()):
            key = self._key(f"{prefix}/{path.relative_to(local_dir).as_posix()}")
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            client.upload_file(str(path), self.bucket, key, ExtraArgs={"ContentType": content_type})
        return f"s3://{self.bucket}/{self._key(prefix)}"


def artifact_store(uri: str, aws_conn_id: str) -> ArtifactStore:
    if uri.startswith("s3://"):
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        bucket, _, prefix = uri[len("s3://") :].partition("/")
        return S3Store(S3Hook(aws_conn_id=aws_conn_id), bucket, prefix.strip("/"))
    if "://" in uri:
        raise ValueError(f"artifacts_uri {uri!r} is neither s3://bucket[/prefix] nor a local folder")
    return FolderStore(Path(uri))
