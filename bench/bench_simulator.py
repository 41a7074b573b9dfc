"""Benchmark: clickstream-simulate writing straight into the raw store, vs serialization-only comparators.

Side by side in one run, interleaved, median of the repeats:
  (a) the simulator, direct mode, end to end: generate visits, render collected_event lines, gzip, write
      the hour objects (and the truth), with the default workers (one per CPU) and with one worker;
  (b) comparator "orjson + isal": the SAME lines, already as Python dicts, serialized with orjson and
      gzipped with python-isal into one file: the floor of merely writing that volume in Python;
  (c) comparator "json + gzip": the same with the standard library (json.dumps, gzip level 6).
The simulator does everything (b) and (c) do plus generating the traffic, so a ratio near or above 1.0
means generating costs less than a plain serializer would. Target: >= 100,000 events/s for (a).

    python bench/bench_simulator.py [--quick] [--days N] [--repeats N]
"""

from __future__ import annotations

import gzip
import json
import os
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

from simulator.run import Settings, simulate  # noqa: E402
from tests.simulator.sim_reference import read_lines  # noqa: E402

START = datetime.fromisoformat("2026-11-01T00:00:00+00:00")


def run_simulator(root: Path, days: float, visitors: int, workers: int | None) -> tuple[float, int]:
    shutil.rmtree(root, ignore_errors=True)
    t0 = time.perf_counter()
    summary = simulate(Settings(days=days, seed=42, visitors_per_day=visitors, start=START, out=str(root), workers=workers))
    elapsed = time.perf_counter() - t0
    lines = sum(1 for _ in read_lines(str(root))[0])  # written lines, duplicates included
    return elapsed, max(lines, summary["events"])


def run_orjson_isal(records: list[dict], out: Path) -> float:
    t0 = time.perf_counter()
    dumps = orjson.dumps
    data = b"".join(dumps(r, option=orjson.OPT_APPEND_NEWLINE) for r in records)
    out.write_bytes(igzip.compress(data, 1))
    return time.perf_counter() - t0


def run_json_gzip(records: list[dict], out: Path) -> float:
    t0 = time.perf_counter()
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    out.write_bytes(gzip.compress(data))
    return time.perf_counter() - t0


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
        _, events = run_simulator(tmp / "ref", days, visitors_per_day, 1)
        records, _ = read_lines(str(tmp / "ref"))
        results: dict[str, list[float]] = {"sim_workers": [], "sim_1": [], "orjson_isal": [], "json_gzip": []}
        for _ in range(repeats):
            results["sim_workers"].append(run_simulator(tmp / "a", days, visitors_per_day, None)[0])
            results["orjson_isal"].append(run_orjson_isal(records, tmp / "b.gz"))
            results["sim_1"].append(run_simulator(tmp / "c", days, visitors_per_day, 1)[0])
            results["json_gzip"].append(run_json_gzip(records, tmp / "d.gz"))
        n = len(records)
        rate = {k: n / statistics.median(v) for k, v in results.items()}
        print(f"bench_simulator: {n:,} raw lines ({days:g} days x {visitors_per_day:,} visits/day), "
              f"median of {repeats}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        labels = {"sim_workers": f"simulator, direct mode, {min(os.cpu_count() or 1, 4)} workers",
                  "sim_1": "simulator, direct mode, 1 worker",
                  "orjson_isal": "comparator: orjson + isal gzip of the same lines",
                  "json_gzip": "comparator: json + gzip (stdlib) of the same lines"}
        for key, label in labels.items():
            print(f"  {label:52} {rate[key]:>12,.0f} events/s")
        print(f"  ratio simulator(workers) / orjson+isal            {rate['sim_workers'] / rate['orjson_isal']:>8.2f}x")
        print(f"  ratio simulator(1 worker) / orjson+isal           {rate['sim_1'] / rate['orjson_isal']:>8.2f}x")
        print(f"  ratio simulator(workers) / json+gzip              {rate['sim_workers'] / rate['json_gzip']:>8.2f}x")
        target = 100_000
        print(f"  target >= {target:,} events/s: {'met' if rate['sim_workers'] >= target else 'NOT met'} "
              f"({rate['sim_workers'] / target:.2f}x of target)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
