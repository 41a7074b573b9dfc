"""One simulation run: settings in, traffic out (raw store or collector), ground truth beside it."""

from __future__ import annotations

import gc
import multiprocessing
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from contract import layout
from simulator import truth as truth_mod
from simulator.audience import SHARDS
from simulator.collector import iso_ms, now_ms
from simulator.endpoint import EndpointError, EndpointSink
from simulator.rawstore import CORRUPT_OBJECT_SHARE, RawStoreError, RawStoreSink, warm_up
from simulator.traffic import HOUR_MS, Rates, Simulation
from simulator.truth import TruthRecorder

DAY_MS = 86_400_000


class SimulationError(Exception):
    """A run that could not complete; the message says why and what to do."""


@dataclass
class Settings:
    days: float = 7.0
    seed: int = 42
    visitors_per_day: int = 2000
    start: datetime | None = None  # default: the days ending at the start of the current hour
    out: str | None = None  # direct mode: raw store root
    endpoint: str | None = None  # endpoint mode: collector URL
    write_key: str | None = None
    concurrency: int = 8
    truth_path: str | None = None
    clean: bool = False
    workers: int | None = None  # direct mode: processes generating shards (default: CPU count)

    def window(self) -> tuple[int, int]:
        span = int(self.days * DAY_MS)
        if self.start is not None:
            start = int(self.start.timestamp() * 1000)
            end = start + span
            if end > now_ms() + HOUR_MS:
                raise SimulationError(f"the window {iso_ms(start)} .. {iso_ms(end)} ends in the future; "
                                      "pick an earlier --start or fewer --days")
            return start, end
        end = now_ms() // HOUR_MS * HOUR_MS
        return end - span, end

    def default_truth_path(self, start: int, end: int) -> str:
        name = f"truth/seed={self.seed}_{iso_ms(start)[:13]}_{iso_ms(end)[:13]}.json".replace(":", "")
        if self.out:
            return self.out.rstrip("/") + "/" + name
        return os.path.join(layout.HOME, name)


def clean_rates() -> Rates:
    return Rates(bot_visits=0.0, late_visit_mobile=0.0, late_visit_other=0.0, duplicate_flush=0.0,
                 skewed_device=0.0, malformed_flush=0.0, delivery_report_visit=0.0)


def direct_shard(args: tuple) -> tuple[dict, dict, dict]:
    """One shard in direct mode (in a worker process; the bench times them alone): traffic, raw objects, partial truth."""
    settings, start, end, shard = args
    recorder = TruthRecorder({})
    sim = Simulation(settings.seed, start, end, settings.visitors_per_day,
                     clean_rates() if settings.clean else None, shard=shard)
    sink = RawStoreSink(settings.out, f"{settings.seed}-{shard}", recorder,
                        corrupt_share=0.0 if settings.clean else CORRUPT_OBJECT_SHARE)
    # The run allocates millions of small objects and frees no cycles: the cyclic GC's passes over the
    # growing heap would cost about a fifth of the time, for nothing.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        try:
            stats = sim.run(sink, recorder)
        finally:
            sink.close()
        truth = recorder.result()
    finally:
        if gc_was_enabled:
            gc.enable()
    return stats, truth, {"objects": sink.objects, "lines": sink.lines, "gzip_bytes": sink.bytes}


def _run_direct(settings: Settings, start: int, end: int) -> tuple[list, list, list]:
    jobs = [(settings, start, end, shard) for shard in range(len(SHARDS))]
    workers = max(1, min(settings.workers or os.cpu_count() or 1, len(jobs)))
    warm_up()
    if workers == 1:
        outcomes = [direct_shard(job) for job in jobs]
    else:
        # fork: the workers inherit the imported modules and the catalog; shards are independent.
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            outcomes = pool.map(direct_shard, jobs, chunksize=1)
    return [o[0] for o in outcomes], [o[1] for o in outcomes], [o[2] for o in outcomes]


def _run_endpoint(settings: Settings, start: int, end: int) -> tuple[list, list, EndpointSink]:
    recorders = [TruthRecorder({}) for _ in SHARDS]
    sink = EndpointSink(settings.endpoint, settings.write_key, settings.concurrency)
    stats = []
    try:
        for shard, recorder in enumerate(recorders):
            sim = Simulation(settings.seed, start, end, settings.visitors_per_day,
                             clean_rates() if settings.clean else None, shard=shard)
            stats.append(sim.run(sink, recorder))
    except BaseException:
        sink.abort()
        raise
    finally:
        sink.close()
    return stats, [r.result() for r in recorders], sink


def simulate(settings: Settings, progress: Callable[[str], None] | None = None) -> dict:
    """Run one simulation; returns a summary (events, visits, where the data and the truth went)."""
    start, end = settings.window()
    target = settings.endpoint or settings.out
    truth_path = settings.truth_path or settings.default_truth_path(start, end)
    meta = {"generator": "clickstream-simulate", "seed": settings.seed, "start": iso_ms(start), "end": iso_ms(end),
            "visitors_per_day": settings.visitors_per_day, "mode": "endpoint" if settings.endpoint else "direct",
            "target": target, "clean": settings.clean}
    if progress:
        progress(f"simulating {iso_ms(start)} .. {iso_ms(end)} (seed {settings.seed}, "
                 f"~{settings.visitors_per_day}/day) -> {target}")
    try:
        if settings.endpoint:
            stats, parts, sink = _run_endpoint(settings, start, end)
            extra = {"endpoint": dict(sink.stats)}
            if sink.unexpected:
                extra["endpoint"]["unexpected_examples"] = sink.unexpected
        else:
            stats, parts, sinks = _run_direct(settings, start, end)
            extra = {"raw_store": {k: sum(s[k] for s in sinks) for k in ("objects", "lines", "gzip_bytes")}}
    except (RawStoreError, EndpointError) as exc:
        raise SimulationError(str(exc)) from exc
    except OSError as exc:
        raise SimulationError(f"cannot write to {target}: {exc}") from exc
    result = {**meta, **truth_mod.combine(parts), **extra}
    try:
        truth_mod.write(result, truth_path)
    except Exception as exc:  # noqa: BLE001 - a full disk or a refused PutObject
        raise SimulationError(f"cannot write the ground truth to {truth_path}: {exc}") from exc
    totals = {k: sum(s[k] for s in stats) for k in ("visits", "bot_visits", "events")}
    summary = {**totals, "start": iso_ms(start), "end": iso_ms(end), "target": target, "truth": truth_path,
               "totals": result["totals"]}
    unexpected = result.get("endpoint", {}).get("unexpected_rejections")
    if unexpected:
        summary["warning"] = (f"the collector rejected {unexpected} events the simulator meant to be valid, "
                              f"e.g. {result['endpoint'].get('unexpected_examples')}")
    return summary
