"""What every dashboard page shares: the warehouse connection, the query cache, the data-version poll,
the filters and the metric definitions.

Everything here lives at module level, so it is shared by all sessions of the one app process:
one connection, one cache, one poll.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import errors as pg_errors
from psycopg.adapt import Loader

REPO_ROOT = Path(__file__).resolve().parents[1]
METRIC_DOCS = REPO_ROOT / "dbt" / "models" / "docs" / "metric_definitions.md"

# The CLI resolves the connection (--dsn or libpq PG*) and hands it over here; "" means libpq PG* variables.
DSN = os.environ.get("CLICKSTREAM_DASHBOARD_DSN", "")
# How often the cheap data-version query may run (seconds), whatever the number of sessions.
POLL_SECONDS = float(os.environ.get("CLICKSTREAM_DASHBOARD_POLL_SECONDS", "30"))
CACHE_ENTRIES = int(os.environ.get("CLICKSTREAM_DASHBOARD_CACHE_ENTRIES", "512"))


# --- errors the page explains instead of showing a traceback -------------------------------------------------


class WarehouseUnavailable(Exception):
    """The warehouse cannot answer: kind is down | missing | forbidden | empty | error."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


def classify(exc: BaseException) -> WarehouseUnavailable:
    if isinstance(exc, WarehouseUnavailable):
        return exc
    if isinstance(exc, (pg_errors.UndefinedTable, pg_errors.InvalidSchemaName, pg_errors.UndefinedColumn)):
        return WarehouseUnavailable("missing", _first_line(exc))
    if isinstance(exc, pg_errors.InsufficientPrivilege):
        return WarehouseUnavailable("forbidden", _first_line(exc))
    if isinstance(exc, psycopg.OperationalError):
        return WarehouseUnavailable("down", _first_line(exc))
    return WarehouseUnavailable("error", _first_line(exc))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --- the connection -------------------------------------------------------------------------------------------


class NumberLoader(Loader):
    """numeric -> int when integral (sums of counts), else float: pandas then holds int64/float64 columns,
    fast to sum and divide, instead of columns of Decimal objects. Report measures fit a float exactly
    enough for what the page shows (cents, one-decimal rates)."""

    def load(self, data) -> int | float:
        text = bytes(data)
        return float(text) if b"." in text or b"N" in text or b"n" in text else int(text)


class Warehouse:
    """One read-only connection, reopened when it breaks. Render functions run on the event loop thread
    one at a time, so one connection serves every session; the lock guards the rare threaded caller."""

    def __init__(self, dsn: str):
        self.dsn = dsn
        self._conn: psycopg.Connection | None = None
        self._lock = threading.Lock()

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = psycopg.connect(
                self.dsn,
                autocommit=True,
                connect_timeout=3,
                application_name="clickstream-dashboard",
                # The dashboard never writes, whatever role it is given; a runaway query is cut off; distinct
                # visitor counts hash in memory instead of spilling to disk.
                options="-c default_transaction_read_only=on -c statement_timeout=60000 -c work_mem=64MB",
            )
            self._conn.adapters.register_loader("numeric", NumberLoader)
        return self._conn

    def fetch(self, query: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        with self._lock:
            for attempt in (1, 2):
                try:
                    with self._connection().cursor() as cur:
                        cur.execute(query, params or {})
                        columns = [c.name for c in cur.description or []]
                        return pd.DataFrame(cur.fetchall(), columns=columns)
                except psycopg.OperationalError as exc:
                    # A server restart breaks the connection: reconnect once, then give up.
                    self._close()
                    if attempt == 2:
                        raise classify(exc) from None
                except psycopg.Error as exc:
                    raise classify(exc) from None
        raise AssertionError("unreachable")

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # already broken
                pass
        self._conn = None


warehouse = Warehouse(DSN)


# --- the shared cache, keyed by (query, parameters, data version) --------------------------------------------


class QueryCache:
    """LRU of query results. A new data version makes new keys, so stale entries simply age out."""

    def __init__(self, entries: int):
        self.entries = entries
        self._items: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_fetch(self, query: str, params: dict[str, Any], version: str) -> pd.DataFrame:
        key = (query, _freeze(params), version)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
        frame = warehouse.fetch(query, params)
        with self._lock:
            self.misses += 1
            self._items[key] = frame
            while len(self._items) > self.entries:
                self._items.popitem(last=False)
        return frame

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


cache = QueryCache(CACHE_ENTRIES)


def fetch(query: str, params: dict[str, Any] | None = None, *, version: str) -> pd.DataFrame:
    """Run a report query through the shared cache."""
    return cache.get_or_fetch(query, params or {}, version)


# --- the one cheap poll ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataVersion:
    """What the poll saw: status ok | empty | down | missing | forbidden | error, and the version string."""

    status: str
    version: str
    detail: str = ""


class VersionPoller:
    """Runs the cheap data-version query at most once per POLL_SECONDS, however many sessions ask.

    Sessions ask through their own reactive.poll; with no session open nobody asks, so an idle dashboard
    sends no query at all.
    """

    def __init__(self, query: str, interval: float):
        self.query = query
        self.interval = interval
        self._last: DataVersion | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def current(self) -> DataVersion:
        with self._lock:
            # While the warehouse is down or empty, look again sooner: the page fills in once it is back.
            interval = self.interval if self._last is None or self._last.status == "ok" else min(self.interval, 5)
            if self._last is not None and time.monotonic() - self._checked_at < interval:
                return self._last
        result = self._check()
        with self._lock:
            self._last, self._checked_at = result, time.monotonic()
        return result

    def _check(self) -> DataVersion:
        try:
            frame = warehouse.fetch(self.query)
        except WarehouseUnavailable as exc:
            return DataVersion(exc.kind, "", exc.detail)
        version = frame.iloc[0, 0] if len(frame) else None
        if version is None or (isinstance(version, float) and pd.isna(version)):
            return DataVersion("empty", "")
        return DataVersion("ok", str(version))


# --- filters --------------------------------------------------------------------------------------------------

TRAFFIC_CHOICES = {"humans": "Humans", "bots": "Bots", "all": "Both"}


@dataclass(frozen=True)
class Filters:
    """The shared sidebar filters. Empty tuples mean "all"."""

    start: date
    end: date
    devices: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    traffic: str = "humans"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Filters":
        """The same filters over the period of equal length just before."""
        return replace(self, start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1))

    def params(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "devices": list(self.devices) or None,
            "countries": list(self.countries) or None,
            "channels": list(self.channels) or None,
            "categories": list(self.categories) or None,
            "bot_values": {"humans": [False], "bots": [True]}.get(self.traffic, [False, True]),
        }


# The WHERE clause every report query shares. Values are bound as parameters, never formatted in;
# a NULL array means "no filter on this dimension".
DIMENSION_VALUES_FILTER = """
    (%(devices)s::text[] is null or device_type = any(%(devices)s::text[]))
    and (%(countries)s::text[] is null or country = any(%(countries)s::text[]))
    and (%(channels)s::text[] is null or channel = any(%(channels)s::text[]))
    and is_bot = any(%(bot_values)s::boolean[])
"""
DIMENSION_FILTER = f"""
    date_day between %(start)s and %(end)s
    and {DIMENSION_VALUES_FILTER}
"""


def rollup_filter(f: Filters, grouping_sets: set[frozenset[str]]) -> str | None:
    """The WHERE on a rollup's dimensions for these filters, or None when the rollup has no rows for this
    combination. A rollup (rpt_*_rollup_daily) repeats its source's additive measures summed over every
    dimension a row leaves NULL; grouping_sets lists the dimensions its rows can be specific to. A filtered
    dimension reads the rows specific to it (summing the rows of several values), an open one the NULL rows.
    Constant SQL text: the values are bound parameters."""
    chosen = {"device_type": f.devices, "country": f.countries, "channel": f.channels}
    specific = frozenset(name for name, values in chosen.items() if values) | (
        {"is_bot"} if f.traffic != "all" else set())
    if specific not in grouping_sets:
        return None
    parameters = {"device_type": "devices", "country": "countries", "channel": "channels"}
    conditions = [f"{name} = any(%({parameters[name]})s::text[])" if values else f"{name} is null"
                  for name, values in chosen.items()]
    conditions.append("is_bot = any(%(bot_values)s::boolean[])" if "is_bot" in specific else "is_bot is null")
    return " and ".join(conditions)


# A category filter value matches the full path (computers.notebook) or its top level (computers).
CATEGORY_FILTER = """
    and (%(categories)s::text[] is null
         or category = any(%(categories)s::text[]) or category_level_1 = any(%(categories)s::text[]))
"""


# --- metric definitions: the dbt docs blocks and YAML descriptions, so tooltips say what dbt says ----------

DBT_MODELS = REPO_ROOT / "dbt" / "models"
_DOCS_BLOCK = re.compile(r"{%-?\s*docs\s+(\w+)\s*-?%}(.*?){%-?\s*enddocs\s*-?%}", re.S)
_DOC_REF = re.compile(r"{{\s*doc\(\s*['\"](\w+)['\"]\s*\)\s*}}")


def plain(text: str) -> str:
    """Markdown emphasis and code marks dropped, whitespace collapsed: how a tooltip shows a definition."""
    return " ".join(text.replace("**", "").replace("`", "").replace("*", "").split())


def load_docs_blocks(models: Path = DBT_MODELS) -> dict[str, str]:
    blocks: dict[str, str] = {}
    for path in sorted(models.rglob("*.md")):
        blocks.update((name, body.strip()) for name, body in _DOCS_BLOCK.findall(path.read_text(encoding="utf-8")))
    return blocks


def load_column_descriptions(models: Path = DBT_MODELS, blocks: dict[str, str] | None = None) -> dict[str, str]:
    """'<model>.<column>' -> its YAML description with {{ doc('...') }} references resolved."""
    import yaml  # dbt's dependency; only needed here

    blocks = load_docs_blocks(models) if blocks is None else blocks
    descriptions: dict[str, str] = {}
    for path in sorted(models.rglob("_*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in document.get("models") or []:
            for column in model.get("columns") or []:
                text = _DOC_REF.sub(lambda m: blocks.get(m.group(1), ""), column.get("description") or "")
                descriptions[f"{model['name']}.{column['name']}"] = text
    return descriptions


def _load_definitions() -> tuple[dict[str, str], dict[str, str]]:
    try:
        blocks = load_docs_blocks()
        return blocks, load_column_descriptions(blocks=blocks)
    except Exception:  # a broken YAML must not take the dashboards down; tooltips say so instead
        return {}, {}


DOCS_BLOCKS, COLUMN_DESCRIPTIONS = _load_definitions()


def definition(metric: str) -> str:
    """Tooltip text: 'conversion_rate' is the docs block metric_conversion_rate, 'rpt_x.col' a YAML column."""
    text = COLUMN_DESCRIPTIONS.get(metric) if "." in metric else DOCS_BLOCKS.get(f"metric_{metric}")
    if not text:
        return f"No definition of {metric} in the dbt project."
    return plain(text)


# --- number formatting, shared by KPI boxes and tables (the tests parse the same formats) ---------------------


def fmt_int(value: Any) -> str:
    return "–" if _missing(value) else f"{round(float(value)):,}"


def fmt_float(value: Any, digits: int = 2) -> str:
    return "–" if _missing(value) else f"{float(value):,.{digits}f}"


def fmt_pct(value: Any, digits: int = 1) -> str:
    return "–" if _missing(value) else f"{100 * float(value):.{digits}f}%"


def fmt_money(value: Any) -> str:
    return "–" if _missing(value) else f"${float(value):,.2f}"


def fmt_seconds(value: Any) -> str:
    if _missing(value):
        return "–"
    seconds = round(float(value))
    return f"{seconds // 60}m {seconds % 60:02d}s"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA


def ratio(numerator: Any, denominator: Any) -> float | None:
    """Rates are ratios of sums; no denominator, no rate."""
    if _missing(numerator) or _missing(denominator) or float(denominator) == 0:
        return None
    return float(numerator) / float(denominator)


# --- small-frame arithmetic -----------------------------------------------------------------------------------
# A page derives its tables from a few hundred rows. pandas spends a millisecond or more per operation on
# such frames (indexing, alignment, dtype checks), which adds up to tens of milliseconds per filter change;
# plain lists and numpy arrays do the same in microseconds. The results are still DataFrames (tables, CSV).


def column(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A column as float64 (missing -> NaN)."""
    return frame[name].to_numpy(dtype="float64", na_value=np.nan)


def rate(numerator: np.ndarray, denominator: np.ndarray, digits: int = 4) -> np.ndarray:
    """numerator / denominator per row, NaN where the denominator is 0: a ratio of sums, never an average."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.round(np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan),
                        digits)


def group_sum(frame: pd.DataFrame, keys: list[str], measures: list[str]) -> pd.DataFrame:
    """Sums of measures per distinct key values (missing keys kept as a group), in first-seen order."""
    sums: dict[tuple, list] = {}
    key_columns = [frame[k].tolist() for k in keys]
    measure_columns = [frame[m].tolist() for m in measures]
    for i, key in enumerate(zip(*key_columns)):
        accumulated = sums.get(key)
        if accumulated is None:
            accumulated = sums[key] = [0] * len(measures)
        for j, values in enumerate(measure_columns):
            value = values[i]
            if value is not None and not (isinstance(value, float) and math.isnan(value)):  # as pandas' sum
                accumulated[j] += value
    out = {k: [key[i] for key in sums] for i, k in enumerate(keys)}
    out.update({m: [total[j] for total in sums.values()] for j, m in enumerate(measures)})
    return pd.DataFrame(out, columns=[*keys, *measures])


def total(frame: pd.DataFrame, name: str) -> float:
    """The column's sum (0 for no rows)."""
    return float(np.nansum(column(frame, name))) if len(frame) else 0.0
