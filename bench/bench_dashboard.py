"""Dashboard speed: the time from a filter change to the updated page, measured in the real browser.

Builds a warehouse from simulated traffic with the real pipeline (clickstream-simulate -> clickstream-load ->
dbt build) on a private embedded PostgreSQL, unless --dsn points to one already built; starts
clickstream-dashboard; then, in Debian's chromium, walks each page through filter states it has never
shown (every step changes one filter, so every step misses the cache and runs its SQL) and times each step
from the change to the page being updated (Shiny idle + two animation frames, i.e. painted).

Comparators, measured side by side in the same run:
  * warm   - the same steps replayed: the page re-renders from the shared cache (no SQL);
  * sql    - the page's queries run straight with psycopg, no cache, no Shiny, no browser.
Target (issue 6): p95 of a filter change < 300 ms on a warehouse of 10M events.

    .venv/bin/python bench/bench_dashboard.py --events 1000000
    .venv/bin/python bench/bench_dashboard.py --quick           # 100k events, fewer steps
    .venv/bin/python bench/bench_dashboard.py --events 10000000 --keep --workdir /work/bench-dash-10m  # build once
    .venv/bin/python bench/bench_dashboard.py --dsn "postgresql://postgres:@/bench_dashboard?host=/work/bench-dash-10m/pg"
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import click
import psycopg

REPO_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
EVENTS_PER_VISIT = 12.0  # what the simulator produces on average (measured: ~11.9 incl. bots and dirt)
TARGET_MS = 300.0
PAGES = {  # tab title -> module holding load(filters, version)
    "Traffic & Engagement": "traffic",
    "Funnels": "funnels",
    "Product Performance": "products",
    "Acquisition": "acquisition",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def step(label: str, args: list[str], env: dict[str, str], ok=(0,)) -> float:
    started = time.perf_counter()
    result = subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode not in ok:
        sys.exit(f"{label} failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    print(f"  {label:<22} {elapsed:8.1f} s", flush=True)
    return elapsed


def build_warehouse(dsn: str, events: int, days: int, workdir: Path) -> None:
    from clickstream.warehouse import libpq_env
    from loader import migrations

    with psycopg.connect(dsn, autocommit=True) as conn:
        migrations.migrate(conn)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    visitors_per_day = max(1, round(events / EVENTS_PER_VISIT / days))
    raw = workdir / "raw"
    print(f"building a warehouse of ~{events:,} events ({visitors_per_day:,} visits/day x {days} days):")
    step("clickstream-simulate", [str(BIN / "clickstream-simulate"), "--out", str(raw), "--days", str(days),
                                  "--visitors-per-day", str(visitors_per_day), "--seed", "11", "--quiet"], env)
    step("clickstream-load", [str(BIN / "clickstream-load"), "--source", str(raw), "--dsn", dsn,
                              "--since", f"{days + 2}d"], env, ok=(0, 3))
    shutil.rmtree(raw, ignore_errors=True)
    dbt_env = {**env, **libpq_env(dsn), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    step("dbt build", [str(BIN / "dbt"), "build", "--project-dir", str(REPO_ROOT / "dbt"), "--profiles-dir",
                       str(REPO_ROOT / "dbt"), "--log-level", "warn"], dbt_env, ok=(0, 1))
    with psycopg.connect(dsn) as conn:
        loaded = conn.execute("select count(*) from raw.events").fetchone()[0]
        sessions = conn.execute("select sum(sessions) from reports.rpt_traffic_daily").fetchone()[0]
    print(f"  raw.events: {loaded:,} rows, sessions: {sessions:,}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# One filter change in the browser, timed from the change to the painted update.
CHANGE_JS = """
async ([id, values]) => {
  const t0 = performance.now();
  let busy = false;
  const done = new Promise((resolve) => {
    const onBusy = () => { busy = true; };
    const onIdle = () => {
      if (!busy) return;
      $(document).off('shiny:busy', onBusy).off('shiny:idle', onIdle);
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
    };
    $(document).on('shiny:busy', onBusy).on('shiny:idle', onIdle);
    setTimeout(() => resolve(-1), 20000);  // no update at all: reported, not waited for forever
  });
  document.getElementById(id).selectize.setValue(values);  // what picking in the box does
  return await done;
}
"""


def walk(devices: list[str], channels: list[str], limit: int) -> list[tuple[str, list[str]]]:
    """Filter changes visiting new (channel, device) states only, each changing exactly one filter."""
    changes, device = [], None
    for i, channel in enumerate(channels):
        changes.append(("channels", [channel]))
        row = devices if i % 2 == 0 else list(reversed(devices))
        for d in row:
            if d != device:
                changes.append(("devices", [d]))
                device = d
    return changes[:limit]


def measure(url: str, steps: int) -> dict[str, dict[str, list[float]]]:
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, list[float]]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        for title in PAGES:
            page.get_by_role("tab", name=title).click()
            page.locator(".tab-pane.active .kpi .kpi-value").first.wait_for(state="visible", timeout=120_000)
            page.wait_for_function("() => !document.documentElement.classList.contains('shiny-busy')")
            devices = page.evaluate("Object.keys(document.getElementById('devices').selectize.options)")
            channels = page.evaluate("Object.keys(document.getElementById('channels').selectize.options)")
            changes = walk(sorted(devices), sorted(channels), steps)
            cold = [page.evaluate(CHANGE_JS, list(change)) for change in changes]
            if min(cold) < 0:
                sys.exit(f"{title}: a filter change never updated the page")
            # Replay backwards: every state is cached now, so this is the page re-rendering without SQL.
            back = [("devices", []), ("channels", [])]
            warm = [page.evaluate(CHANGE_JS, list(change)) for change in back]
            warm += [page.evaluate(CHANGE_JS, list(change)) for change in changes]
            results[title] = {"cold": cold, "warm": warm[2:], "changes": changes}
            for change in back:  # leave the page unfiltered for the next one
                page.evaluate("([id, v]) => document.getElementById(id).selectize.setValue(v)", list(change))
            page.wait_for_timeout(300)
        browser.close()
    return results


def sql_times(dsn: str, changes_by_page: dict[str, list], start, end) -> dict[str, list[float]]:
    """The same pages' queries straight through psycopg: no cache, no Shiny, no browser."""
    os.environ["CLICKSTREAM_DASHBOARD_DSN"] = dsn
    sys.path.insert(0, str(REPO_ROOT / "shiny"))
    import importlib

    import shared

    shared.cache = shared.QueryCache(0)  # every call runs its SQL
    version = shared.VersionPoller(importlib.import_module("queries").DATA_VERSION, 0).current().version
    times: dict[str, list[float]] = {}
    for title, changes in changes_by_page.items():
        module = importlib.import_module(f"modules.{PAGES[title]}")
        state = {"devices": (), "channels": ()}
        times[title] = []
        for dimension, values in changes:
            state[dimension] = tuple(values)
            filters = shared.Filters(start=start, end=end, devices=state["devices"], channels=state["channels"])
            started = time.perf_counter()
            module.load(filters, version)
            times[title].append((time.perf_counter() - started) * 1000)
    return times


@click.command()
@click.option("--events", default=10_000_000, show_default=True, envvar="CLICKSTREAM_BENCH_EVENTS",
              help="Size of the warehouse to build (the issue's target is 10M; building it takes a while).")
@click.option("--days", default=30, show_default=True, help="Days of simulated traffic.")
@click.option("--steps", default=40, show_default=True, help="Filter changes measured per page.")
@click.option("--dsn", default=None, envvar="CLICKSTREAM_BENCH_DSN",
              help="Use this already built warehouse instead of building one.")
@click.option("--keep", is_flag=True, help="Keep the embedded server and warehouse built here (prints its DSN).")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Build the warehouse in this (new or empty) folder instead of a temporary one; with --keep "
                   "it is there to reuse with --dsn.")
@click.option("--quick", is_flag=True, help="100k events and 12 steps per page: a smoke run.")
def main(events: int, days: int, steps: int, dsn: str | None, keep: bool, workdir: Path | None,
         quick: bool) -> None:
    if quick:
        events, steps = min(events, 100_000), min(steps, 12)
    from clickstream.warehouse import start_embedded, stop_embedded

    if workdir is None:
        workdir = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    workdir.mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o755)  # postgres runs as another user under root
    pgdata = None
    try:
        if dsn is None:
            pgdata = workdir / "pg"
            server = start_embedded(pgdata, keep_running=True)
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute("create database bench_dashboard")
            dsn = psycopg.conninfo.make_conninfo(server, dbname="bench_dashboard")
            build_warehouse(dsn, events, days, workdir)
        with psycopg.connect(dsn) as conn:
            loaded = conn.execute("select count(*) from raw.events").fetchone()[0]
            start, end = conn.execute(
                "select greatest(min(date_day), max(date_day) - 29), max(date_day) from reports.rpt_traffic_daily"
            ).fetchone()
            conn.execute("analyze")
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        log = open(workdir / "dashboard.log", "wb")
        app = subprocess.Popen([str(BIN / "clickstream-dashboard"), "--port", str(port), "--dsn", dsn],
                               cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}/"
            for _ in range(240):
                try:
                    urllib.request.urlopen(url, timeout=5)
                    break
                except OSError:
                    time.sleep(0.25)
            browser = measure(url, steps)
        finally:
            app.terminate()
            app.wait(timeout=15)
        sql = sql_times(dsn, {t: r["changes"] for t, r in browser.items()}, start, end)

        load1, load5, _ = os.getloadavg()
        print(f"\nwarehouse: {loaded:,} raw events; dates {start} .. {end}; {steps} filter changes per page; "
              f"machine: {os.cpu_count()} cores, load average {load1:.1f} (1 min) {load5:.1f} (5 min)")
        print(f"{'page':<22}{'change p50':>11}{'change p95':>11}{'warm p95':>10}{'sql p95':>9}"
              f"{'change/warm':>12}{'change/sql':>11}{'target':>8}")
        every_change = []
        for title, r in browser.items():
            c95, w95, s95 = percentile(r["cold"], 0.95), percentile(r["warm"], 0.95), percentile(sql[title], 0.95)
            every_change += r["cold"]
            print(f"{title:<22}{statistics.median(r['cold']):>9.0f}ms{c95:>9.0f}ms{w95:>8.0f}ms{s95:>7.0f}ms"
                  f"{c95 / w95:>11.2f}x{c95 / s95:>10.2f}x{'ok' if c95 < TARGET_MS else 'MISS':>8}")
        overall = percentile(every_change, 0.95)
        print(f"all pages: p95 filter change -> updated page = {overall:.0f} ms "
              f"({overall / TARGET_MS:.2f}x the {TARGET_MS:.0f} ms target) over {len(every_change)} changes")
    finally:
        if pgdata is not None:
            if keep:
                print(f"kept: {dsn}")
            else:
                stop_embedded(pgdata)
                shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
