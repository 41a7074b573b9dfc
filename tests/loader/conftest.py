"""Loader test fixtures: a raw store folder and the current time."""

from __future__ import annotations

import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from loader_helpers import RawStore


@pytest.fixture
def raw_store():
    root = Path(tempfile.mkdtemp(prefix="clickstream-raw-"))
    yield RawStore(root)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def now() -> datetime:
    return datetime.now(timezone.utc)
