"""One simulation run: settings in, traffic out (raw store or collector), ground truth beside it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from contract import layout
from simulator import truth as truth_mod
from simulator.collector import iso_ms, now_ms
from simulator.endpoint import EndpointError, EndpointSink
from simulator.rawstore import RawStoreError, RawStoreSink
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


def simulate(settings: Settings, progress: Callable[[str], None] | None = None) -> dict:
    """Run one simulation; returns a summary (events, visits, where the data and the truth went)."""
    start, end = settings.window()
    target = settings.endpoint or settings.out
    truth_path = settings.truth_path or settings.default_truth_path(start, end)
    meta = {"generator": "clickstream-simulate", "seed": settings.seed, "start": iso_ms(start), "end": iso_ms(end),
            "visitors_per_day": settings.visitors_per_day, "mode": "endpoint" if settings.endpoint else "direct",
            "target": target, "clean": settings.clean}
    recorder = TruthRecorder(meta)
    sim = Simulation(settings.seed, start, end, settings.visitors_per_day, clean_rates() if settings.clean else None)
    if progress:
        progress(f"simulating {iso_ms(start)} .. {iso_ms(end)} (seed {settings.seed}, "
                 f"~{settings.visitors_per_day}/day) -> {target}")
    try:
        if settings.endpoint:
            sink = EndpointSink(settings.endpoint, recorder, settings.write_key, settings.concurrency)
        else:
            sink = RawStoreSink(settings.out, settings.seed, recorder)
        try:
            stats = sim.run(sink, recorder)
        except BaseException:
            if isinstance(sink, EndpointSink):
                sink.abort()
            raise
    except (RawStoreError, EndpointError) as exc:
        raise SimulationError(str(exc)) from exc
    except OSError as exc:
        raise SimulationError(f"cannot write to {target}: {exc}") from exc
    result = recorder.result()
    if isinstance(sink, EndpointSink):
        result["endpoint"] = dict(sink.stats)
        if sink.unexpected:
            result["endpoint"]["unexpected_examples"] = sink.unexpected
    else:
        result["raw_store"] = {"objects": sink.objects, "lines": sink.lines, "gzip_bytes": sink.bytes}
    try:
        truth_mod.write(result, truth_path)
    except Exception as exc:  # noqa: BLE001 - a full disk or a refused PutObject
        raise SimulationError(f"cannot write the ground truth to {truth_path}: {exc}") from exc
    summary = {**stats, "start": iso_ms(start), "end": iso_ms(end), "target": target, "truth": truth_path,
               "totals": result["totals"]}
    unexpected = result.get("endpoint", {}).get("unexpected_rejections")
    if unexpected:
        summary["warning"] = (f"the collector rejected {unexpected} events the simulator meant to be valid, "
                              f"e.g. {result['endpoint'].get('unexpected_examples')}")
    return summary
