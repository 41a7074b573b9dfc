"""Drop event_ids seen within a recent window (in-process, per server or per Lambda container).

This only saves work and storage on client retries. The real exactly-once guarantee is the warehouse's
dedupe on event_id (dbt staging), because this cache is lost on restart and not shared between
Lambda containers.
"""

from __future__ import annotations

import time
from collections import OrderedDict


class RecentIds:
    def __init__(self, ttl_seconds: float = 600.0, max_ids: int = 200_000, clock=time.monotonic):
        self._ttl = ttl_seconds
        self._max = max_ids
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        # seen_at(event_id) -> when it was stored, or None: a C call, for a caller's fast "surely not seen" test
        # (a non-None answer still has to pass `in`, which applies the TTL).
        self.seen_at = self._seen.get
        self._next_expiry = float("-inf")  # when the oldest remembered id expires (-inf: look at the next add)

    def __contains__(self, event_id: str) -> bool:
        seen_at = self._seen.get(event_id)
        return seen_at is not None and self._clock() - seen_at < self._ttl

    def __len__(self) -> int:
        return len(self._seen)

    def add_many(self, event_ids) -> None:
        """Remember ids once their events are durably stored (never before: a failed write must be retryable)."""
        now = self._clock()
        seen = self._seen
        for event_id in event_ids:
            seen[event_id] = now
            seen.move_to_end(event_id)
        # Nothing can have expired before the oldest remembered id does (ids only get newer times), so the
        # eviction scan runs only when that time has come or the cache is over its size.
        if now < self._next_expiry and len(seen) <= self._max:
            return
        cutoff = now - self._ttl
        while seen:
            oldest_at = next(iter(seen.values()))
            if oldest_at >= cutoff and len(seen) <= self._max:
                self._next_expiry = oldest_at + self._ttl
                return
            seen.popitem(last=False)
        self._next_expiry = float("-inf")
