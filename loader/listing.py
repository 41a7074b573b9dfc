"""Which raw objects a run should load: list the hour partitions of [since - lookback, until] in the store,
then compare with the manifest (ops.loaded_objects) by key + etag/size."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from contract import layout

from .manifest import ManifestEntry
from .store import RawObject, RawStore


def listing_hours(since: datetime, until: datetime, lookback_hours: int) -> list[datetime]:
    """The hour partitions to list: late objects land in old partitions, so reach back lookback_hours more."""
    return layout.hours_between(since - timedelta(hours=lookback_hours), until)


def list_objects(store: RawStore, hours: list[datetime]) -> list[RawObject]:
    """Every layout object in those partitions, both kinds, in key order (= received order within a kind)."""
    prefixes = [layout.partition_prefix(kind, hour) for kind in layout.KINDS for hour in hours]
    # One LIST per partition; S3 round trips dominate, so a few run at once.
    with ThreadPoolExecutor(max_workers=8) as pool:
        batches = list(pool.map(lambda prefix: list(store.list_prefix(prefix)), prefixes))
    return sorted((obj for batch in batches for obj in batch), key=lambda obj: obj.key)


def same_object(obj: RawObject, entry: ManifestEntry) -> bool:
    return obj.size == entry.size_bytes and (obj.etag is None or entry.etag is None or obj.etag == entry.etag)


@dataclass
class Plan:
    to_load: list[RawObject] = field(default_factory=list)
    already_loaded: int = 0
    # A key already loaded whose bytes changed: raw objects are write-once, so this is reported, not reloaded.
    changed: list[RawObject] = field(default_factory=list)


def plan(listed: list[RawObject], manifest: dict[str, ManifestEntry]) -> Plan:
    result = Plan()
    for obj in listed:
        entry = manifest.get(obj.key)
        if entry is None:
            result.to_load.append(obj)
        elif entry.status == "failed" or (entry.status == "corrupt" and not same_object(obj, entry)):
            # Refused rows are retried every run (a fix may have landed); a corrupt object only once replaced.
            result.to_load.append(obj)
        elif same_object(obj, entry):
            result.already_loaded += 1
        else:
            result.changed.append(obj)
    return result
