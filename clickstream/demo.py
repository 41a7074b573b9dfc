"""clickstream-demo (README command 1, `make demo`): the whole product on this machine, in one command.

    warehouse (embedded PostgreSQL, or yours via CLICKSTREAM_DSN / PG*)
    -> local collector (clickstream-ingest on 127.0.0.1)
    -> 7 days of simulated shop traffic POSTed to it (clickstream-simulate --endpoint)
    -> the hourly job (clickstream-hourly: load + dbt build)
    -> the warehouse checked against the simulator's ground truth
    -> the dashboards on http://127.0.0.1:8000 until Ctrl-C (CLICKSTREAM_DEMO_SERVE=0 stops before)

Run it again and it adds a new day of traffic (a new seed) and loads only that, incrementally.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

import click
import orjson

from contract import layout
from clickstream import warehouse

REPO_ROOT = Path(__file__).resolve().parents[1]
MIN_FREE_BYTES = 1 << 30  # the embedded warehouse, the raw store and dbt's target need well under this


class DemoError(Exception):
    """A step that cannot go on; the message says what to do."""


def say(message: str) -> None:
    click.echo(click.style("==> ", fg="cyan", bold=True) + message, err=False)


def entry_point(name: str) -> str:
    """The console script next to this interpreter (the venv's), else the one on PATH."""
    candidate = Path(sys.executable).with_name(name)
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise DemoError(f"{name} is not installed: run `make setup` (pip install -e .)")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (for tests and side-by-side runs)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def wait_http(url: str, proc: subprocess.Popen | None, timeout_s: float, what: str, log: Path | None = None) -> None:
    """Poll url until it answers 200; fail early if proc dies."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise DemoError(f"{what} exited with code {proc.returncode} while starting:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise DemoError(f"{what} did not answer on {url} within {timeout_s:.0f}s")


def start_ingest(raw_uri: str, port: int, log: Path, host: str = "127.0.0.1",
                 env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start clickstream-ingest on host:port writing to raw_uri; returns once /healthz answers."""
    if not port_free(port, host):
        raise DemoError(f"port {port} on {host} is in use: stop what listens there, or pick another port "
                        "(CLICKSTREAM_DEMO_INGEST_PORT)")
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [entry_point("clickstream-ingest"), "--host", host, "--port", str(port), "--raw-uri", raw_uri],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, start_new_session=True,
        )
    try:
        wait_http(f"http://{host}:{port}/healthz", proc, 60, "clickstream-ingest", log)
    except BaseException:
        stop_process(proc)
        raise
    return proc


def stop_process(proc: subprocess.Popen, timeout_s: float = 15) -> None:
    """SIGTERM (graceful: the collector flushes), then SIGKILL if it hangs."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def check_disk(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(path).free
    if free < MIN_FREE_BYTES:
        raise DemoError(f"only {free / 1e6:.0f} MB free under {path}: the demo needs about 1 GB "
                        "(free some space or set CLICKSTREAM_HOME to a roomier disk)")


def connect_warehouse(home: Path) -> tuple[str, bool]:
    """(DSN, started_here): the configured database if any (checked), else the embedded one."""
    import psycopg

    configured = warehouse.configured_dsn()
    if configured is not None:
        try:
            with psycopg.connect(configured, connect_timeout=5) as conn:
                conn.execute("select 1")
        except psycopg.Error as exc:
            raise DemoError(f"cannot reach the configured database ({_redact(configured) or 'PG* variables'}): "
                            f"{str(exc).strip()}") from exc
        return configured, False
    pgdata = home.absolute() / "pg"
    try:
        return warehouse.start_embedded(pgdata, keep_running=True), True
    except Exception as exc:  # noqa: BLE001 - pgserver raises plain exceptions
        raise DemoError(f"cannot start the embedded PostgreSQL in {pgdata}: {exc}") from exc


def _redact(dsn: str) -> str:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        parts = conninfo_to_dict(dsn)
    except Exception:  # noqa: BLE001
        return "<unparsable DSN>"
    if "password" in parts:
        parts["password"] = "***"
    return make_conninfo(**parts)


def run_step(args: list[str], env: dict[str, str], what: str, ok: tuple[int, ...] = (0,)) -> int:
    proc = subprocess.run(args, env=env)
    if proc.returncode not in ok:
        raise DemoError(f"{what} failed with exit code {proc.returncode} (see its output above)")
    return proc.returncode


def warehouse_vs_truth(dsn: str, truth_dir: Path) -> list[tuple]:
    """Per day: (day, sessions, truth, orders, truth, revenue, truth) over every truth file of the demo."""
    import psycopg

    from simulator.truth import merge

    docs = [orjson.loads(p.read_bytes()) for p in sorted(truth_dir.glob("*.json"))]
    truth = merge(docs)
    with psycopg.connect(dsn) as conn:
        conn.execute("set time zone 'UTC'")
        sessions = dict(conn.execute("select session_date::text, count(*) from marts.fct_sessions group by 1").fetchall())
        orders = {d: (n, r) for d, n, r in conn.execute(
            "select order_date::text, count(*), coalesce(sum(revenue), 0) from marts.fct_orders group by 1").fetchall()}
    rows = []
    for day in sorted(truth):
        t = truth[day]
        n, rev = orders.get(day, (0, 0))
        rows.append((day, sessions.get(day, 0), t["sessions"], n, t["orders"],
                     Decimal(str(rev)).quantize(Decimal("0.01")), t["revenue"].quantize(Decimal("0.01"))))
    return rows


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--serve/--no-serve", default=True, envvar="CLICKSTREAM_DEMO_SERVE",
              help="Serve the dashboards until Ctrl-C (CLICKSTREAM_DEMO_SERVE=0: stop before serving).")
@click.option("--port", type=int, default=8000, show_default=True, envvar="CLICKSTREAM_DEMO_PORT",
              help="Dashboard port on 127.0.0.1.")
@click.option("--ingest-port", type=int, default=8080, show_default=True, envvar="CLICKSTREAM_DEMO_INGEST_PORT",
              help="Local collector port on 127.0.0.1.")
@click.option("--days", type=click.FloatRange(0.05, 60), default=7.0, show_default=True, envvar="CLICKSTREAM_DEMO_DAYS",
              help="Days of traffic on the first run (later runs add one day).")
@click.option("--visitors-per-day", type=click.IntRange(1), default=1500, show_default=True,
              envvar="CLICKSTREAM_DEMO_VISITORS_PER_DAY", help="Average human visits per simulated day.")
@click.option("--seed", type=int, default=42, show_default=True, envvar="CLICKSTREAM_DEMO_SEED",
              help="Seed of the first run; run N uses seed + N - 1.")
def main(serve: bool, port: int, ingest_port: int, days: float, visitors_per_day: int, seed: int) -> None:
    """Run the whole pipeline on this machine with simulated traffic, then serve the dashboards."""
    try:
        run_demo(serve, port, ingest_port, days, visitors_per_day, seed)
    except DemoError as exc:
        click.echo(click.style("error: ", fg="red", bold=True) + str(exc), err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("\nstopped.", err=True)
        sys.exit(130)


def run_demo(serve: bool, port: int, ingest_port: int, days: float, visitors_per_day: int, seed: int) -> None:
    import warnings

    from lambda_ingest.segments import wait_sealed
    from simulator.run import SimulationError, Settings, simulate

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")  # platformdirs, on servers without a session
    started = time.monotonic()
    home = Path(layout.HOME).absolute()
    raw_uri = layout.raw_uri()
    logs = home / "logs"
    truth_dir = home / "truth"
    state_path = home / "demo-state.json"
    state = orjson.loads(state_path.read_bytes()) if state_path.exists() else {"runs": 0}
    run_no = state["runs"] + 1

    say(f"clickstream demo, run {run_no}: everything lives under {home}")
    check_disk(home)
    if serve and not port_free(port):
        raise DemoError(f"port {port} on 127.0.0.1 is in use: stop what listens there, or set CLICKSTREAM_DEMO_PORT")
    if not raw_uri.startswith("s3://"):
        check_disk(Path(raw_uri))

    with ExitStack() as stack:
        say("warehouse: " + ("connecting to the configured PostgreSQL" if warehouse.configured_dsn() is not None
                             else f"starting the embedded PostgreSQL 16 in {home / 'pg'}"))
        dsn, embedded = connect_warehouse(home)
        if embedded and os.environ.get("CLICKSTREAM_DEMO_KEEP_DB", "0") != "1":
            stack.callback(lambda: (say("stopping the embedded PostgreSQL"), warehouse.stop_embedded(home.absolute() / "pg")))
        env = {**os.environ, **warehouse.libpq_env(dsn), "CLICKSTREAM_DSN": dsn, "CLICKSTREAM_RAW_URI": raw_uri}
        say(f"warehouse ready: {_redact(dsn)}")

        say(f"collector: starting clickstream-ingest on http://127.0.0.1:{ingest_port}/v1/events -> {raw_uri} "
            f"(log: {logs / 'ingest.log'})")
        ingest = start_ingest(raw_uri, ingest_port, logs / "ingest.log")
        stack.callback(lambda: (say("stopping the collector"), stop_process(ingest)))

        if run_no == 1:
            sim_days, what = days, f"{days:g} days"
        else:
            sim_days, what = 1.0, "one more day (new visitors)"
        sim_seed = seed + run_no - 1
        say(f"traffic: simulating {what} of shop traffic, seed {sim_seed}, POSTed to the collector "
            "(bots, duplicates, late, skewed and malformed events included)")
        load_since = time.time() - 3600
        step = time.monotonic()
        try:
            summary = simulate(
                Settings(days=sim_days, seed=sim_seed, visitors_per_day=visitors_per_day,
                         endpoint=f"http://127.0.0.1:{ingest_port}/v1/events",
                         write_key=os.environ.get("CLICKSTREAM_WRITE_KEY"), concurrency=64,
                         truth_path=str(truth_dir / f"run-{run_no:03d}-seed-{sim_seed}.json")),
                progress=lambda m: say(m),
            )
        except SimulationError as exc:
            raise DemoError(f"simulation failed: {exc}") from exc
        say(f"sent {summary['events']:,} events in {summary['visits']:,} visits ({time.monotonic() - step:.0f}s); "
            f"ground truth: {summary['truth']}")
        if summary.get("warning"):
            say(click.style("warning: ", fg="yellow") + summary["warning"])
        if not serve:
            stop_process(ingest)  # it seals its open segments as it stops
        elif not raw_uri.startswith("s3://"):
            wait_sealed(raw_uri)  # every answered line in an object (~50 ms) before the loader lists them

        # From the last demo load (an interrupted run's leftovers too); the manifest skips what is loaded.
        since_s = state["loaded_until"] - 3600 if "loaded_until" in state else load_since - 7 * 86400
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since_s))
        say(f"hourly job: clickstream-hourly --since {since} (load new raw objects exactly once, then dbt build)")
        step = time.monotonic()
        code = run_step([entry_point("clickstream-hourly"), "--since", since, "--source", raw_uri, "--dsn", dsn],
                        env, "the hourly job (load + dbt build)", ok=(0, 3))
        say(f"hourly job done ({time.monotonic() - step:.0f}s)")
        if code == 3:
            say(click.style("note: ", fg="yellow") + "some raw lines were quarantined (see the Reliability page)")
        state.update(runs=run_no, loaded_until=time.time())
        home.mkdir(parents=True, exist_ok=True)
        state_path.write_bytes(orjson.dumps(state))

        say("check: human sessions, orders and revenue per day, warehouse (marts) vs the simulator's ground truth")
        rows = warehouse_vs_truth(dsn, truth_dir)
        click.echo(f"    {'day':10}  {'sessions':>17}  {'orders':>11}  {'revenue':>25}")
        mismatches = 0
        for day, s, ts, o, to, r, tr in rows:
            same = s == ts and o == to and r == tr
            mismatches += not same
            click.echo(f"    {day:10}  {s:>8} / {ts:<8}  {o:>5} / {to:<5}  {r:>12} / {tr:<12} "
                       + ("ok" if same else click.style("MISMATCH", fg="red")))
        say("the warehouse matches the ground truth" if not mismatches
            else click.style(f"{mismatches} day(s) differ from the ground truth", fg="red"))
        say(f"done in {time.monotonic() - started:.0f}s. Look at: raw store {raw_uri}, warehouse {_redact(dsn)} "
            "(schemas raw, ops, staging, intermediate, marts, reports), dbt docs: dbt docs generate --project-dir dbt "
            "--profiles-dir dbt")

        if not serve:
            say("CLICKSTREAM_DEMO_SERVE=0: not serving the dashboards. Run `make demo` again to add traffic.")
            if mismatches:
                raise DemoError("the warehouse does not match the simulator's ground truth")
            return
        say(f"dashboards: http://127.0.0.1:{port}/  (collector still on http://127.0.0.1:{ingest_port}/v1/events; "
            "Ctrl-C stops everything)")
        with open(logs / "dashboard.log", "ab") as out:
            dashboard = subprocess.Popen(
                [entry_point("clickstream-dashboard"), "--host", "127.0.0.1", "--port", str(port), "--dsn", dsn,
                 "--poll-seconds", "5"], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        stack.callback(lambda: (say("stopping the dashboards"), stop_process(dashboard)))
        wait_http(f"http://127.0.0.1:{port}/", dashboard, 120, "clickstream-dashboard", logs / "dashboard.log")
        # Ctrl-C (or a plain kill) raises KeyboardInterrupt here, whatever SIGINT handler a library the run used
        # has left behind
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            say(f"open http://127.0.0.1:{port}/ in a browser (log: {logs / 'dashboard.log'})")
            while dashboard.poll() is None and ingest.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            click.echo("")
            say("Ctrl-C: shutting down")
            return
        raise DemoError("a demo server stopped unexpectedly; see the logs in " + str(logs))


if __name__ == "__main__":
    main()
