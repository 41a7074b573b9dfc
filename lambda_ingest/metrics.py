"""Collector counters, shown as Prometheus text by the local server (/metrics) and emitted as CloudWatch
EMF by the Lambda handler (powertools Metrics): accepted, rejected by reason, duplicates, bytes."""

from __future__ import annotations

from collections import Counter

NAMESPACE = "clickstream"


class IngestMetrics:
    def __init__(self) -> None:
        self.requests: Counter[int] = Counter()          # by HTTP status
        self.events_accepted = 0
        self.events_duplicate = 0
        self.events_rejected: Counter[str] = Counter()   # by reason
        self.bytes_received = 0
        self.objects_written: Counter[str] = Counter()   # by kind (events | rejected)
        self.bytes_written = 0
        self.flushes = 0
        self.flush_seconds = 0.0
        self.flush_failures = 0

    def record_flush(self, seconds: float, objects_written: Counter[str], bytes_written: int) -> None:
        """One flush took `seconds`; the writer has written these objects (by kind) and bytes in all."""
        self.flushes += 1
        self.flush_seconds += seconds
        self.objects_written = Counter(objects_written)
        self.bytes_written = bytes_written

    def prometheus(self) -> str:
        lines: list[str] = []

        def metric(name: str, kind: str, help_: str, samples: list[tuple[str, float]]) -> None:
            lines.append(f"# HELP clickstream_ingest_{name} {help_}")
            lines.append(f"# TYPE clickstream_ingest_{name} {kind}")
            for labels, value in samples:
                lines.append(f"clickstream_ingest_{name}{labels} {value:g}" if isinstance(value, float) else
                             f"clickstream_ingest_{name}{labels} {value}")

        metric("requests_total", "counter", "POST /v1/events requests by HTTP status.",
               [(f'{{status="{s}"}}', n) for s, n in sorted(self.requests.items())] or [("", 0)])
        metric("events_accepted_total", "counter", "Events validated and durably stored.", [("", self.events_accepted)])
        metric("events_duplicate_total", "counter", "Events dropped as recently seen event_ids.", [("", self.events_duplicate)])
        metric("events_rejected_total", "counter", "Events refused (stored in the dead-letter store) by reason.",
               [(f'{{reason="{r}"}}', n) for r, n in sorted(self.events_rejected.items())] or [("", 0)])
        metric("bytes_received_total", "counter", "Decoded request body bytes.", [("", self.bytes_received)])
        metric("objects_written_total", "counter", "Raw store objects written by kind.",
               [(f'{{kind="{k}"}}', n) for k, n in sorted(self.objects_written.items())] or [("", 0)])
        metric("bytes_written_total", "counter", "Compressed bytes written to the raw store.", [("", self.bytes_written)])
        metric("flushes_total", "counter", "Group commits to the raw store.", [("", self.flushes)])
        metric("flush_seconds_total", "counter", "Time spent in group commits.", [("", float(self.flush_seconds))])
        metric("flush_failures_total", "counter", "Group commits that failed (their requests got 503).", [("", self.flush_failures)])
        return "\n".join(lines) + "\n"
