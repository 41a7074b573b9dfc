"""The raw store, read side: a local folder or s3://bucket/prefix, in contract.layout's key layout.

Two operations only: list the objects under one partition prefix, and open one object as a binary stream.
Keys are relative to the root (events/year=.../x.ndjson.gz), so the manifest does not care where the root is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Iterator, Protocol
from urllib.parse import urlparse

from contract import layout


@dataclass(frozen=True)
class RawObject:
    key: str  # relative to the store root
    kind: str  # layout.EVENTS | layout.REJECTED
    partition_hour: datetime
    size: int
    etag: str | None  # S3 ETag; None for local files (size is the identity there)
    last_modified: datetime


class StoreError(Exception):
    """The raw store cannot be read (missing folder, bucket, credentials ...)."""


class RawStore(Protocol):
    uri: str

    def list_prefix(self, prefix: str) -> Iterator[RawObject]: ...

    def open(self, key: str) -> BinaryIO: ...


def _raw_object(key: str, size: int, etag: str | None, last_modified: datetime) -> RawObject | None:
    hour = layout.partition_hour(key)
    kind = key.split("/", 1)[0]
    if hour is None or kind not in layout.KINDS or not key.endswith(layout.OBJECT_SUFFIX):
        return None  # not an object of the layout (a writer's temp file, a stray upload ...)
    return RawObject(key, kind, hour, size, etag, last_modified)


class LocalStore:
    def __init__(self, root: str):
        self.uri = root
        self.root = Path(root)
        if not self.root.is_dir():
            raise StoreError(f"raw store folder {root!r} does not exist")

    def list_prefix(self, prefix: str) -> Iterator[RawObject]:
        folder = self.root / prefix
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            return
        for entry in entries:
            if not entry.is_file():
                continue
            st = entry.stat()
            obj = _raw_object(
                prefix + entry.name, st.st_size, None, datetime.fromtimestamp(st.st_mtime, timezone.utc)
            )
            if obj:
                yield obj

    def open(self, key: str) -> BinaryIO:
        return open(self.root / key, "rb")


class S3Store:
    def __init__(self, uri: str):
        import boto3  # only the S3 path needs it
        import botocore.config

        parsed = urlparse(uri)
        self.uri = uri
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        # boto3 honours AWS_ENDPOINT_URL_S3 (MinIO, moto, localstack) and the usual credential chain.
        self.client = boto3.client(
            "s3", config=botocore.config.Config(retries={"mode": "standard", "max_attempts": 5})
        )

    def _full(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def list_prefix(self, prefix: str) -> Iterator[RawObject]:
        from botocore.exceptions import BotoCoreError, ClientError

        paginator = self.client.get_paginator("list_objects_v2")
        strip = len(self.prefix) + 1 if self.prefix else 0
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._full(prefix)):
                for item in page.get("Contents", ()):
                    obj = _raw_object(
                        item["Key"][strip:], item["Size"], item["ETag"].strip('"'), item["LastModified"]
                    )
                    if obj:
                        yield obj
        except (BotoCoreError, ClientError) as exc:
            raise StoreError(f"cannot list s3://{self.bucket}/{self._full(prefix)}: {exc}") from exc

    def open(self, key: str) -> BinaryIO:
        import smart_open

        # smart-open streams the body in ranges and resumes a dropped connection; gzip is ours (isal).
        return smart_open.open(
            f"s3://{self.bucket}/{self._full(key)}",
            "rb",
            compression="disable",
            transport_params={"client": self.client},
        )


def open_store(uri: str) -> RawStore:
    if uri.startswith("s3://"):
        return S3Store(uri)
    if "://" in uri and not uri.startswith("file://"):
        raise StoreError(f"unsupported raw store {uri!r}: use a folder or s3://bucket/prefix")
    return LocalStore(uri.removeprefix("file://"))


class PrefetchingStore:
    """Downloads the next few small objects while the current one loads, so S3 round trips overlap COPY.

    Memory stays bounded: at most `ahead` objects of at most `max_bytes` each are held; bigger objects
    are streamed as usual. The run calls done(key) when it is finished with an object.
    """

    def __init__(self, store: RawStore, objects: list[RawObject], ahead: int = 8, max_bytes: int = 8 << 20):
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        self.store, self.uri, self.ahead = store, store.uri, ahead
        self.queue = deque(obj.key for obj in objects if obj.size <= max_bytes)
        self.futures: dict = {}
        self.pool = ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="prefetch")

    def _download(self, key: str) -> bytes:
        with self.store.open(key) as stream:
            return stream.read()

    def _top_up(self) -> None:
        while self.queue and len(self.futures) < self.ahead:
            key = self.queue.popleft()
            self.futures[key] = self.pool.submit(self._download, key)

    def list_prefix(self, prefix: str) -> Iterator[RawObject]:
        return self.store.list_prefix(prefix)

    def open(self, key: str) -> BinaryIO:
        import io

        self._top_up()
        future = self.futures.get(key)
        if future is None:
            return self.store.open(key)
        return io.BytesIO(future.result())  # a download error surfaces here, as a direct open's would

    def done(self, key: str) -> None:
        self.futures.pop(key, None)
        self._top_up()

    def close(self) -> None:
        for future in self.futures.values():
            future.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)
