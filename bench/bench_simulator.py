"""Benchmark: clickstream-simulate writing straight into the raw store, vs serialization-only comparators.

Side by side in one run, interleaved, median of the repeats:
  (a) the simulator, direct mode, end to end: generate visits, render collected_event lines, gzip, write
      the hour objects (and the truth), with the default workers (one per CPU) and with one worker;
  (b) comparator "orjson + isal": the SAME lines, already as Python dicts, serialized with orjson and
      gzipped with python-isal into one file: the floor of merely writing that volume in Python;
  (c) comparator "json + gzip": the same with the standard library (json.dumps, gzip level 6).
The simulator does everything (b) and (c) do plus generating the traffic, so a ratio near or above 1.0
means generating costs less than a plain serializer would. Target: >= 100,000 events/s for (a).
On a busy machine the wall-clock figures of (a) say little, so it also times each of the four shards alone
(CPU seconds) and prints what N idle CPUs would do: the longest worker's share of the shards, scheduled as
the pool schedules them (the shards are fixed country groups of unequal size, so 2 CPUs are not 2x).

    python bench/bench_simulator.py [--quick] [--days N] [--repeats N]
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import click
import orjson
from isal import igzip

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.audience import SHARDS  # noqa: E402
from simulator.rawstore import warm_up  # noqa: E402
from simulator.run import Settings, direct_shard, simulate  # noqa: E402
from tests.simulator.sim_reference import read_lines  # noqa: E402

START = datetime.fromisoformat("2026-11-01T00:00:00+00:00")


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the shard workers)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of fn(): on a shared machine the CPU figure is the steadier one."""
    w0, c0 = time.perf_counter(), cpu_seconds()
    fn()
    return time.perf_counter() - w0, cpu_seconds() - c0


def run_simulator(root: Path, days: float, visitors: int, workers: int | None) -> tuple[float, float]:
    shutil.rmtree(root, ignore_errors=True)
    return timed(lambda: simulate(Settings(days=days, seed=42, visitors_per_day=visitors, start=START,
                                           out=str(root), workers=workers)))


def shard_cpu_seconds(root: Path, days: float, visitors: int) -> list[float]:
    """CPU seconds of each shard run alone in this process (its writer thread included)."""
    shutil.rmtree(root, ignore_errors=True)
    settings = Settings(days=days, seed=42, visitors_per_day=visitors, start=START, out=str(root))
    start, end = settings.window()
    warm_up()
    costs = []
    for shard in range(len(SHARDS)):
        c0 = time.process_time()
        direct_shard((settings, start, end, shard))
        costs.append(time.process_time() - c0)
    return costs


def makespan(costs: list[float], workers: int) -> float:
    """Pool.map(chunksize=1) order: each worker that falls free takes the next shard."""
    free = [0.0] * workers
    for cost in costs:
        free[free.index(min(free))] += cost
    return max(free)


def run_orjson_isal(records: list[dict], out: Path) -> tuple[float, float]:
    def work():
        dumps = orjson.dumps
        out.write_bytes(igzip.compress(b"".join(dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in records), 1))
    return timed(work)


def run_json_gzip(records: list[dict], out: Path) -> tuple[float, float]:
    def work():
        out.write_bytes(gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode()))
    return timed(work)


@click.command()
@click.option("--quick", is_flag=True, help="A small volume (about 30k events), one repeat.")
@click.option("--days", type=float, default=2.0, show_default=True, help="Simulated days per run.")
@click.option("--visitors-per-day", type=int, default=10_000, show_default=True)
@click.option("--repeats", type=int, default=3, show_default=True)
def main(quick: bool, days: float, visitors_per_day: int, repeats: int) -> None:
    if quick:
        days, visitors_per_day, repeats = 0.5, 5000, 1
    tmp = Path(tempfile.mkdtemp(prefix="bench-sim-"))
    try:
        # Warm-up (imports, catalog, user-agent parser) and the records the comparators serialize.
        run_simulator(tmp / "warm", 0.05, visitors_per_day, 1)
        run_simulator(tmp / "ref", days, visitors_per_day, 1)
        records, _ = read_lines(str(tmp / "ref"))  # every written line, duplicates included
        results: dict[str, list[tuple[float, float]]] = {"sim_workers": [], "sim_1": [], "orjson_isal": [], "json_gzip": []}
        shard_costs: list[list[float]] = []
        for _ in range(repeats):
            shard_costs.append(shard_cpu_seconds(tmp / "s", days, visitors_per_day))
            results["sim_workers"].append(run_simulator(tmp / "a", days, visitors_per_day, None))
            results["orjson_isal"].append(run_orjson_isal(records, tmp / "b.gz"))
            results["sim_1"].append(run_simulator(tmp / "c", days, visitors_per_day, 1))
            results["json_gzip"].append(run_json_gzip(records, tmp / "d.gz"))
        n = len(records)
        rate = {k: n / statistics.median(w for w, _ in v) for k, v in results.items()}
        cpu_rate = {k: n / statistics.median(c for _, c in v) for k, v in results.items()}
        print(f"bench_simulator: {n:,} raw lines ({days:g} days x {visitors_per_day:,} visits/day), "
              f"median of {repeats}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        labels = {"sim_workers": f"simulator, direct mode, {min(os.cpu_count() or 1, 4)} workers",
                  "sim_1": "simulator, direct mode, 1 worker",
                  "orjson_isal": "comparator: orjson + isal gzip of the same lines",
                  "json_gzip": "comparator: json + gzip (stdlib) of the same lines"}
        print(f"  {'':52} {'events/s':>12} {'events/CPU-s':>14}")
        for key, label in labels.items():
            print(f"  {label:52} {rate[key]:>12,.0f} {cpu_rate[key]:>14,.0f}")
        for a, b in (("sim_workers", "orjson_isal"), ("sim_1", "orjson_isal"), ("sim_workers", "json_gzip")):
            print(f"  ratio {a} / {b:12} wall {rate[a] / rate[b]:6.2f}x   per CPU-second {cpu_rate[a] / cpu_rate[b]:6.2f}x")
        target = 100_000
        costs = [min(c[i] for c in shard_costs) for i in range(len(SHARDS))]  # least disturbed run of each
        print(f"  target >= {target:,} events/s: {'met' if rate['sim_workers'] >= target else 'NOT met'} here "
              f"({rate['sim_workers'] / target:.2f}x, load average {os.getloadavg()[0]:.1f})")
        print(f"  shards alone, CPU seconds {' + '.join(f'{c:.2f}' for c in costs)} = {sum(costs):.2f} "
              f"({n / sum(costs):,.0f} events/CPU-s); on idle CPUs, before process start-up and the truth file:")
        for workers in sorted({1, 2, min(os.cpu_count() or 1, len(SHARDS))}):
            span = makespan(costs, workers)
            print(f"    {workers} CPU{'s' if workers > 1 else ' '}: {span:.2f} s -> {n / span:>9,.0f} events/s "
                  f"({n / span / target:.2f}x the target)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
