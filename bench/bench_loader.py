#!/usr/bin/env python
"""Benchmark clickstream-load against its floor and against what a user would pick instead.

Data: --events collected_event lines (default 2,000,000; product mix from the REES46 sample) as ~5 MB gzip
NDJSON objects in a raw store folder, generated once and cached under --work-dir.

Contenders, interleaved, median of --reps runs, each into a fresh database, CHECKPOINT before each
(this machine's COPY rate drifts by ~30% minute to minute, so only side-by-side ratios mean anything):
  loader          clickstream-load end to end (process start, list, gunzip, parse, check, COPY, manifest)
  psql \\copy      the same rows already rendered as COPY text into an identical fresh raw.events: the floor
  dlt default     dlt loading the same files (dicts from a resource, normalize, insert_values)
  dlt arrow+csv   dlt with pyarrow tables from the same files and loader_file_format="csv"
and the reader stage alone (decompress + parse + checks, database replaced by a no-op) against a stdlib
gzip + json loop. Peak RSS of the loader process is measured for all objects and for a quarter of them.

    .venv/bin/python bench/bench_loader.py            # full size
    .venv/bin/python bench/bench_loader.py --quick    # 200k events, a quick look
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import psycopg
from isal import igzip
from psycopg import sql

REPO = Path(__file__).resolve().parents[1]
os.environ.setdefault("RUNTIME__LOG_LEVEL", "ERROR")  # dlt's schema-hint warnings are not results
sys.path.insert(0, str(REPO))

from clickstream.warehouse import start_embedded, stop_embedded  # noqa: E402
from contract import layout  # noqa: E402
from loader import migrations  # noqa: E402
from loader.reader import ObjectReader  # noqa: E402

SAMPLE = REPO / "tests" / "data" / "rees46-2019-10-01-first-1000.csv"
BIN = Path(sys.executable).parent
DAY = datetime(2026, 11, 21, tzinfo=timezone.utc)
TARGET_OBJECT_BYTES = 5 << 20

TARGETS = {  # contender: minimum speed-up of the loader over it (issue 3, "Speed")
    "psql \\copy (floor)": 0.9,
    "dlt default": 8.0,
    "dlt arrow+csv": 1.5,
}


# --- data ---------------------------------------------------------------------------------------------------


def products() -> list[dict]:
    if not SAMPLE.exists():
        return [
            {"product_id": f"sku-{i}", "category": "computers.notebook", "brand": "acme", "price": 99.0 + i}
            for i in range(50)
        ]
    with SAMPLE.open() as f:
        rows = list(csv.DictReader(f))
    return [
        {
            "product_id": r["product_id"],
            "category": r["category_code"] or "unknown",
            "brand": r["brand"] or "unknown",
            "price": float(r["price"]),
        }
        for r in rows
    ]


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def make_event(rng: random.Random, catalog: list[dict], received: datetime, visitor: int) -> dict:
    product = catalog[rng.randrange(len(catalog))]
    kind = rng.choices(
        ["view", "click", "heartbeat", "search", "add_to_cart", "purchase", "identify"],
        [60, 10, 20, 4, 3, 1, 2],
    )[0]
    ts = received - timedelta(milliseconds=rng.randrange(50, 3000))
    event = {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "event_type": kind,
        "ts": iso(ts),
        "sent_at": iso(received - timedelta(milliseconds=20)),
        "received_at": iso(received),
        "event_at": iso(ts + timedelta(milliseconds=20)),
        "clock_skew_ms": -20,
        "session_id": f"s-{visitor}-{rng.randrange(3)}",
        "anonymous_id": f"anon-{visitor:08d}",
        "user_id": f"user-{visitor}" if kind in ("identify", "purchase") else None,
        "user_id_source": "client" if kind in ("identify", "purchase") else None,
        "page_url": f"https://shop.example/p/{product['product_id']}?utm_source=newsletter&utm_medium=email",
        "page_title": f"{product['brand']} {product['category']} | Shop",
        "referrer": "https://www.google.com/search?q=" + product["brand"],
        "referrer_host": "google.com",
        "is_bot": rng.random() < 0.03,
        "bot_reason": None,
        "request_id": f"req-{rng.getrandbits(48):012x}",
        "device": {
            "type": rng.choice(["desktop", "mobile", "tablet"]),
            "screen_width": 1920,
            "screen_height": 1080,
            "browser": "Chrome",
            "browser_version": "131.0",
            "os": "Windows",
            "os_version": "10",
        },
        "geo": {"country": rng.choice(["DE", "AT", "CH", "NL"]), "city": None},
        "utm": {
            "source": "newsletter",
            "medium": "email",
            "campaign": "black-friday",
            "term": None,
            "content": None,
        },
        "context": {"library": "clickstream-js/0.1.0", "locale": "de-DE", "timezone": "Europe/Berlin"},
    }
    if kind in ("view", "add_to_cart"):
        event["ecom"] = {**product, "currency": "EUR", "qty": 1}
    elif kind == "purchase":
        event["ecom"] = {
            "order_id": f"o-{rng.getrandbits(40):x}",
            "revenue": product["price"],
            "currency": "EUR",
            "items": [{"product_id": product["product_id"], "price": product["price"], "qty": 1}],
        }
    elif kind == "search":
        event["props"] = {"search_query": product["brand"] + " " + product["category"].split(".")[-1]}
    return event


def generate_store(root: Path, events: int) -> list[Path]:
    """~5 MB gzip objects spread over a day of hour partitions; cached (a .done marker) between runs."""
    marker = root / ".done"
    if marker.exists():
        return sorted(root.rglob("*" + layout.OBJECT_SUFFIX))
    shutil.rmtree(root, ignore_errors=True)
    rng, catalog = random.Random(42), products()
    print(f"generating {events:,} events under {root} ...", flush=True)
    written, files, n = 0, [], 0
    spacing = timedelta(seconds=86_000 / events)
    while written < events:
        received = DAY + spacing * written
        lines = []
        size = 0
        # ~8.5x gzip ratio on these lines (compresslevel 2): fill to ~5 MB compressed
        while size < TARGET_OBJECT_BYTES * 8.5 and written < events:
            line = orjson.dumps(make_event(rng, catalog, DAY + spacing * written, rng.randrange(200_000)))
            lines.append(line)
            size += len(line) + 1
            written += 1
        path = root / layout.object_key(layout.EVENTS, received, uuid.UUID(int=n))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(igzip.compress(b"\n".join(lines) + b"\n", compresslevel=2))
        files.append(path)
        n += 1
    marker.write_text(str(events))
    sizes = [f.stat().st_size for f in files]
    print(
        f"  {len(files)} objects, {sum(sizes) / 1e6:.0f} MB gzip,"
        f" median {statistics.median(sizes) / 1e6:.1f} MB"
    )
    return files


# --- contenders ---------------------------------------------------------------------------------------------

COPY_COLUMNS = None


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def render_copy_file(root: Path, files: list[Path], target: Path) -> int:
    """The rows the loader would COPY (same columns, same values), as COPY text: the floor's input."""
    global COPY_COLUMNS
    from loader.reader import KINDS

    COPY_COLUMNS = [*KINDS[layout.EVENTS].names, "payload", "_line_no", "_load_id", "_source_key"]
    if target.exists():
        return int(target.with_suffix(".rows").read_text())
    rows = 0
    with target.open("w", encoding="utf-8") as out:
        for path in files:
            key = path.relative_to(root).as_posix()
            with path.open("rb") as stream:
                for row in ObjectReader(stream, layout.EVENTS, extra=(1, key)).rows():
                    out.write("\t".join(map(_copy_text, row)) + "\n")
                    rows += 1
    target.with_suffix(".rows").write_text(str(rows))
    return rows


RSS_LAUNCHER = (
    "import os, subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def run_loader(root: Path, dsn: str, files: list[Path] | None = None) -> tuple[float, int]:
    """clickstream-load as a user runs it; returns (seconds, peak RSS bytes of the process)."""
    source = root
    if files is not None:  # a subset: a store of symlinks to those objects
        source = Path(tempfile.mkdtemp(prefix="bench-subset-"))
        for f in files:
            link = source / f.relative_to(root)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(f)
    args = [
        str(BIN / "clickstream-load"),
        "--source",
        str(source),
        "--dsn",
        dsn,
        "--since",
        iso(DAY),
        "--until",
        iso(DAY + timedelta(days=1)),
        "--lookback-hours",
        "0",
    ]
    rss_file = Path(tempfile.mkstemp(prefix="bench-rss-")[1])
    start = time.perf_counter()
    # Through a small launcher: a child forked straight from this (big) process would count our pages.
    proc = subprocess.run(
        [sys.executable, "-c", RSS_LAUNCHER, str(rss_file), *args],
        capture_output=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    seconds = time.perf_counter() - start
    out, err = proc.stdout, proc.stderr
    peak_rss = int(rss_file.read_text() or 0) * 1024
    rss_file.unlink()
    if files is not None:
        shutil.rmtree(source, ignore_errors=True)
    if proc.returncode != 0:
        raise SystemExit(f"loader failed ({proc.returncode}): {err.decode()[-2000:]} {out.decode()[-500:]}")
    return seconds, peak_rss


def run_psql_copy(copy_file: Path, dsn: str) -> float:
    with psycopg.connect(dsn, autocommit=True) as conn:
        migrations.migrate(conn)  # the identical fresh raw.events
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    conninfo = " ".join(f"{k}={v}" for k, v in params.items())
    command = f"\\copy raw.events ({', '.join(COPY_COLUMNS)}) from '{copy_file}'"
    start = time.perf_counter()
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", conninfo, "-c", command], check=True)
    return time.perf_counter() - start


def _dlt_pipeline(dsn: str, name: str, work: Path):
    import dlt

    params = psycopg.conninfo.conninfo_to_dict(dsn)
    # The embedded server listens on a unix socket only: libpq takes the socket folder as ?host=.
    credentials = (
        f"postgresql://{params.get('user', 'postgres')}:@localhost/{params['dbname']}?host={params['host']}"
    )
    return dlt.pipeline(
        pipeline_name=name,
        pipelines_dir=str(work / "dlt" / name),
        destination=dlt.destinations.postgres(credentials=credentials),
        dataset_name="raw_dlt",
    )


def run_dlt_default(files: list[Path], dsn: str, work: Path) -> float:
    import dlt

    @dlt.resource(name="events", write_disposition="append")
    def events():
        for path in files:
            with gzip.open(path, "rb") as stream:
                for line in stream:
                    yield orjson.loads(line)

    pipeline = _dlt_pipeline(dsn, f"default_{uuid.uuid4().hex[:6]}", work)
    start = time.perf_counter()
    pipeline.run(events())
    return time.perf_counter() - start


def run_dlt_arrow_csv(files: list[Path], dsn: str, work: Path) -> float:
    """dlt's fast path as its docs suggest: Arrow tables + csv. Arrow's csv writer refuses nested columns, so
    (like the loader) typed top-level columns plus the whole line as a json payload column."""
    import dlt
    import pyarrow as pa
    import pyarrow.json as pa_json

    import contract

    arrow_types = {
        "uuid": pa.string(),
        "text": pa.string(),
        "timestamptz": pa.timestamp("us", tz="UTC"),
        "bigint": pa.int64(),
        "boolean": pa.bool_(),
    }
    schema = pa.schema([(name, arrow_types[t]) for name, t in contract.raw_columns("collected_event")])
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")

    @dlt.resource(name="events", write_disposition="append", columns={"payload": {"data_type": "json"}})
    def events():
        for path in files:
            with gzip.open(path, "rb") as stream:
                data = stream.read()
            table = pa_json.read_json(pa.py_buffer(data), parse_options=options)
            lines = pa.array(data.rstrip(b"\n").split(b"\n"), pa.binary()).cast(pa.string())
            yield table.append_column("payload", lines)

    pipeline = _dlt_pipeline(dsn, f"arrow_{uuid.uuid4().hex[:6]}", work)
    start = time.perf_counter()
    pipeline.run(events(), loader_file_format="csv")
    return time.perf_counter() - start


def reader_stage(files: list[Path]) -> tuple[float, int]:
    start, rows = time.perf_counter(), 0
    for path in files:
        with path.open("rb") as stream:
            reader = ObjectReader(stream, layout.EVENTS, extra=(1, "key"))
            counted = deque(enumerate(reader.rows(), 1), maxlen=1)  # the database is a no-op
            rows += counted[0][0] if counted else 0
    return time.perf_counter() - start, rows


def stdlib_stage(files: list[Path]) -> tuple[float, int]:
    start, rows = time.perf_counter(), 0
    for path in files:
        with gzip.open(path, "rb") as stream:
            for line in stream:
                json.loads(line)
                rows += 1
    return time.perf_counter() - start, rows


# --- harness ------------------------------------------------------------------------------------------------


class Server:
    def __init__(self, root: Path, autovacuum: bool):
        self.pgdata = root / "pg"
        self.dsn = start_embedded(self.pgdata, keep_running=True)
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            # The loader commits per object, so autovacuum starts scanning raw.events while it loads; psql's
            # one COPY commits at the end, after its clock stops. Off for both: both measure loading only.
            # (--autovacuum keeps it on: the loader then pays for vacuuming what it loaded.)
            conn.execute("alter system set autovacuum = %s" % ("on" if autovacuum else "off"))
            conn.execute("select pg_reload_conf()")

    def fresh_db(self) -> str:
        name = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
            conn.execute("checkpoint")
        return psycopg.conninfo.make_conninfo(self.dsn, dbname=name)

    def rows(self, dsn: str, table: str) -> int:
        with psycopg.connect(dsn) as conn:
            return conn.execute(sql.SQL("select count(*) from {}").format(sql.SQL(table))).fetchone()[0]

    def drop(self, dsn: str) -> None:
        name = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(name)))
            conn.execute("checkpoint")

    def stop(self) -> None:
        stop_embedded(self.pgdata)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--events", type=int, default=2_000_000, help="events to generate (default 2,000,000)"
    )
    parser.add_argument("--quick", action="store_true", help="200,000 events: a quick look, same method")
    parser.add_argument("--reps", type=int, default=3, help="runs per contender (median; default 3)")
    parser.add_argument("--no-dlt", action="store_true", help="skip the dlt contenders")
    parser.add_argument("--no-reader", action="store_true", help="skip the reader-stage comparison")
    parser.add_argument("--autovacuum", action="store_true", help="leave autovacuum on during the loads")
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "clickstream-bench",
        help="where the generated store, the COPY file and the server live",
    )
    args = parser.parse_args()
    events = 200_000 if args.quick else args.events

    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)  # postgres runs as the 'pgserver' user under root: the folder must be traversable
    root = work / f"raw-{events}"
    files = generate_store(root, events)
    copy_file = work / f"copy-{events}.txt"
    print("rendering COPY text for the psql floor ...", flush=True)
    rendered = render_copy_file(root, files, copy_file)
    assert rendered == events, (rendered, events)

    reader_ratio = None
    if not args.no_reader:
        print(
            f"\nreader stage ({events:,} events, {len(files)} objects; database = no-op),"
            f" {args.reps} runs interleaved"
        )
        reader_times, stdlib_times = [], []
        for _ in range(args.reps):
            seconds, rows = reader_stage(files)
            assert rows == events
            reader_times.append(seconds)
            seconds, rows = stdlib_stage(files)
            assert rows == events
            stdlib_times.append(seconds)
        reader_s, stdlib_s = statistics.median(reader_times), statistics.median(stdlib_times)
        print(
            f"  loader reader (isal + msgspec + checks) {reader_s:7.2f} s"
            f"  {events / reader_s:>10,.0f} events/s"
        )
        print(
            f"  stdlib gzip + json                      {stdlib_s:7.2f} s"
            f"  {events / stdlib_s:>10,.0f} events/s"
        )
        print(f"  speed-up {stdlib_s / reader_s:.2f}x (target >= 2.5x)")
        reader_ratio = stdlib_s / reader_s

    server = Server(work, args.autovacuum)
    contenders = {
        "loader": lambda dsn: run_loader(root, dsn)[0],
        "psql \\copy (floor)": lambda dsn: run_psql_copy(copy_file, dsn),
    }
    if not args.no_dlt:
        contenders["dlt arrow+csv"] = lambda dsn: run_dlt_arrow_csv(files, dsn, work)
        contenders["dlt default"] = lambda dsn: run_dlt_default(files, dsn, work)
    tables = {
        "loader": "raw.events",
        "psql \\copy (floor)": "raw.events",
        "dlt default": "raw_dlt.events",
        "dlt arrow+csv": "raw_dlt.events",
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    try:
        print(
            f"\nload into PostgreSQL 16 ({events:,} events), {args.reps} runs interleaved,"
            " CHECKPOINT between runs"
        )
        for rep in range(args.reps):
            for name, run in contenders.items():
                dsn = server.fresh_db()
                seconds = run(dsn)
                loaded = server.rows(dsn, tables[name])
                server.drop(dsn)
                if loaded != events:
                    raise SystemExit(f"{name} loaded {loaded} rows, expected {events}")
                times[name].append(seconds)
                print(f"  run {rep + 1}: {name:20s} {seconds:8.2f} s", flush=True)

        dsn = server.fresh_db()
        rss_all = run_loader(root, dsn)[1]
        server.drop(dsn)
        quarter = files[: max(1, len(files) // 4)]
        dsn = server.fresh_db()
        rss_quarter = run_loader(root, dsn, quarter)[1]
        server.drop(dsn)
    finally:
        server.stop()

    loader_s = statistics.median(times["loader"])
    print(
        f"\nresults (median of {args.reps}; ratio = contender time / loader time,"
        " > 1 means the loader is faster)"
    )
    print(f"  {'contender':22s} {'seconds':>8s} {'events/s':>10s} {'ratio':>7s} {'target':>7s}")
    ok = True
    for name, samples in times.items():
        seconds = statistics.median(samples)
        ratio = seconds / loader_s
        target = TARGETS.get(name)
        verdict = "" if target is None else ("ok" if ratio >= target else "MISSED")
        ok &= verdict != "MISSED"
        print(
            f"  {name:22s} {seconds:8.2f} {events / seconds:>10,.0f} {ratio:6.2f}x "
            f"{'' if target is None else f'>={target}x':>7s} {verdict}"
        )
    if reader_ratio is not None:
        ok &= reader_ratio >= 2.5
        print(
            f"  reader stage vs stdlib gzip+json: {reader_ratio:.2f}x (target >= 2.5x)"
            f" {'ok' if reader_ratio >= 2.5 else 'MISSED'}"
        )
    print(
        f"  loader peak RSS: {rss_all / 2**20:.0f} MB for {len(files)} objects,"
        f" {rss_quarter / 2**20:.0f} MB for "
        f"{len(quarter)} (target < 300 MB, flat in the number of objects)"
    )
    ok &= rss_all < 300 * 2**20
    print("all targets met" if ok else "some targets missed")


if __name__ == "__main__":
    main()
