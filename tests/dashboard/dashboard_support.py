"""Dashboard fixtures: the real app (clickstream-dashboard as a subprocess on a free 127.0.0.1 port), Debian's
chromium through Playwright, and warehouses in three states: built from simulated traffic, without report
tables, and unreachable."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from clickstream.warehouse import libpq_env

REPO_ROOT = Path(__file__).resolve().parents[2]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
ARTIFACTS = REPO_ROOT / "test-artifacts" / "dashboard"
PAGES = ["Traffic & Engagement", "Funnels", "Product Performance", "Acquisition", "Reliability"]
READER_ROLE = "clickstream_dashboard_reader"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def entry_point(name: str) -> str:
    """The console script installed beside this Python (the venv's bin), else on PATH."""
    candidate = Path(sys.executable).with_name(name)
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: run `make setup`")
    return found


@contextlib.contextmanager
def running_dashboard(dsn: str, *, poll_seconds: float = 1.0, log: Path | None = None):
    """Start clickstream-dashboard on a free port, yield its URL, stop it."""
    port = free_port()
    log = log or ARTIFACTS / f"dashboard-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG") and k != "CLICKSTREAM_DSN"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [entry_point("clickstream-dashboard"), "--host", "127.0.0.1", "--port", str(port), "--dsn", dsn,
             "--poll-seconds", str(poll_seconds), "--log-level", "warning"],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO_ROOT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"clickstream-dashboard exited with {proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"clickstream-dashboard did not answer on {url} within 60 s:\n{log.read_text()}")
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# Module scope, not session: an open sync Playwright marks an asyncio loop as running in this thread,
# which breaks every later test that calls asyncio.run() or starts Playwright itself.
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make setup-test` (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    yield tab
    context.close()


def create_database(server_dsn: str, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return psycopg.conninfo.make_conninfo(server_dsn, dbname=name)


def drop_database(server_dsn: str, dsn: str) -> None:
    name = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def migrate(dsn: str) -> None:
    """The loader's migrations: raw/ops tables, the dbt schemas and the three roles with their grants."""
    from loader import migrations

    with psycopg.connect(dsn, autocommit=True) as conn:
        migrations.migrate(conn)


def reader_dsn(dsn: str) -> str:
    """A LOGIN member of clickstream_reporting: the dashboard runs with the production privileges."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_roles where rolname = %s", [READER_ROLE]).fetchone()
        if not exists:
            conn.execute(sql.SQL("create role {} login in role clickstream_reporting").format(
                sql.Identifier(READER_ROLE)))
    return psycopg.conninfo.make_conninfo(dsn, user=READER_ROLE)


@pytest.fixture(scope="module")
def unbuilt_warehouse(pg_server):
    """A warehouse whose loader tables exist but dbt never ran: no report tables."""
    dsn = create_database(pg_server, "dash_unbuilt")
    migrate(dsn)
    yield reader_dsn(dsn)
    drop_database(pg_server, dsn)


@pytest.fixture(scope="module")
def unreachable_dsn(tmp_path_factory):
    """A DSN whose server is not running (an empty socket folder)."""
    folder = tmp_path_factory.mktemp("no-server")
    return f"postgresql://postgres@/postgres?host={folder}&connect_timeout=2"


# --- warehouses built by the real pipeline ------------------------------------------------------------------


@dataclass
class BuiltWarehouse:
    dsn: str  # superuser: the tests' oracle reads the marts with it
    reader_dsn: str  # the dashboard's: a LOGIN member of clickstream_reporting


def run(args: list[str], *, env: dict[str, str] | None = None, what: str, ok: tuple[int, ...] = (0,)) -> None:
    result = subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode not in ok:
        pytest.fail(f"{what} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


def dbt_build(dsn: str) -> None:
    """dbt build of the real project, connected through libpq variables as the hourly job does."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(libpq_env(dsn), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    run([entry_point("dbt"), "build", "--project-dir", str(REPO_ROOT / "dbt"), "--profiles-dir",
         str(REPO_ROOT / "dbt"), "--log-level", "warn"], env=env, what="dbt build")


def simulate_and_load(dsn: str, raw_root: Path, *, days: int, visitors_per_day: int, seed: int = 7) -> None:
    """Simulated shop traffic -> raw store folder -> clickstream-load."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    run([entry_point("clickstream-simulate"), "--out", str(raw_root), "--days", str(days),
         "--visitors-per-day", str(visitors_per_day), "--seed", str(seed), "--quiet"], env=env,
        what="clickstream-simulate")
    # Exit 3 = partial: the simulator sends malformed lines on purpose, and the loader quarantines them.
    run([entry_point("clickstream-load"), "--source", str(raw_root), "--dsn", dsn, "--since", f"{days + 2}d"],
        env=env, what="clickstream-load", ok=(0, 3))


@pytest.fixture(scope="session")
def built_warehouse(pg_server, tmp_path_factory):
    """One warehouse for the whole session, built from simulated traffic by the real pipeline."""
    dsn = create_database(pg_server, "dash_built")
    migrate(dsn)
    # 100 visits a day: enough for the simulator to send some bots (its crawler rate rounds to 0 below that).
    simulate_and_load(dsn, tmp_path_factory.mktemp("raw"), days=35, visitors_per_day=100)
    dbt_build(dsn)
    yield BuiltWarehouse(dsn=dsn, reader_dsn=reader_dsn(dsn))
    drop_database(pg_server, dsn)


@pytest.fixture(scope="module")
def empty_warehouse(pg_server):
    """Set up and transformed, but nothing was ever loaded: dbt built the reports over no events."""
    dsn = create_database(pg_server, "dash_empty")
    migrate(dsn)
    dbt_build(dsn)
    yield BuiltWarehouse(dsn=dsn, reader_dsn=reader_dsn(dsn))
    drop_database(pg_server, dsn)
