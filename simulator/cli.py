"""clickstream-simulate: realistic shop traffic, straight into the raw store or through the collector."""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta, timezone

import click

from contract import layout
from simulator.run import SimulationError, Settings, simulate


def _parse_start(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date or time (e.g. 2026-11-15 or 2026-11-15T00:00:00Z)")
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


@click.command(context_settings={"show_default": True, "help_option_names": ["-h", "--help"]})
@click.option("--days", type=click.FloatRange(min=0.01, max=366), default=7.0, envvar="CLICKSTREAM_SIM_DAYS",
              help="How many days of traffic.")
@click.option("--seed", type=int, default=42, envvar="CLICKSTREAM_SIM_SEED",
              help="Random seed: the same seed and window give the same bytes.")
@click.option("--visitors-per-day", type=click.IntRange(min=1), default=2000, envvar="CLICKSTREAM_SIM_VISITORS_PER_DAY",
              help="Average human visits per day (bots come on top).")
@click.option("--start", default=None, envvar="CLICKSTREAM_SIM_START",
              help="UTC start of the window (ISO). Default: the --days ending at the start of the current hour.")
@click.option("--out", default=None, envvar="CLICKSTREAM_RAW_URI",
              help="Direct mode: raw store root, a folder or s3://bucket/prefix [default: $CLICKSTREAM_HOME/raw].")
@click.option("--endpoint", default=None, envvar="CLICKSTREAM_SIM_ENDPOINT",
              help="Endpoint mode: POST to this collector URL, e.g. http://127.0.0.1:8080/v1/events.")
@click.option("--write-key", default=None, envvar="CLICKSTREAM_WRITE_KEY", help="X-Write-Key for endpoint mode.")
@click.option("--concurrency", type=click.IntRange(1, 128), default=32, help="Parallel connections in endpoint mode.")
@click.option("--truth", "truth_path", default=None, envvar="CLICKSTREAM_SIM_TRUTH",
              help="Where to write the ground truth JSON [default: <out>/truth/... in direct mode, "
                   "$CLICKSTREAM_HOME/truth/... in endpoint mode].")
@click.option("--workers", type=click.IntRange(1, 64), default=None, envvar="CLICKSTREAM_SIM_WORKERS",
              help="Direct mode: processes generating the traffic's shards [default: CPU count]. "
                   "The output does not depend on it.")
@click.option("--clean", is_flag=True, help="No dirt: no bots, duplicates, late or skewed or malformed events.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary line.")
def main(days, seed, visitors_per_day, start, out, endpoint, write_key, concurrency, truth_path, workers, clean, quiet):
    """Simulate a computers & electronics web shop's clickstream, with the ground truth beside it.

    Direct mode (default) writes what the collector would have written into the raw store layout;
    endpoint mode (--endpoint) POSTs the browsers' requests to a running collector.
    """
    ctx = click.get_current_context()
    if endpoint and out and ctx.get_parameter_source("out") == click.core.ParameterSource.COMMANDLINE:
        raise click.UsageError("give either --out (direct mode) or --endpoint (endpoint mode), not both")
    settings = Settings(
        days=days, seed=seed, visitors_per_day=visitors_per_day, start=_parse_start(start),
        out=None if endpoint else layout.raw_uri(out), endpoint=endpoint, write_key=write_key,
        concurrency=concurrency, truth_path=truth_path, clean=clean, workers=workers,
    )
    started = time.perf_counter()
    try:
        summary = simulate(settings, progress=None if quiet else (lambda msg: click.echo(msg, err=True)))
    except SimulationError as exc:
        raise click.ClickException(str(exc)) from exc
    except KeyboardInterrupt:
        click.echo("interrupted: a rerun of the same command rewrites the same objects", err=True)
        sys.exit(130)
    elapsed = time.perf_counter() - started
    click.echo(
        f"simulated {summary['events']:,} events ({summary['visits']:,} visits, {summary['bot_visits']:,} bots) "
        f"{summary['start']} .. {summary['end']} seed {settings.seed} -> {summary['target']} "
        f"in {elapsed:.1f}s ({summary['events'] / max(elapsed, 1e-9):,.0f} events/s); truth: {summary['truth']}"
    )
    if summary.get("warning"):
        click.echo(f"warning: {summary['warning']}", err=True)


if __name__ == "__main__":
    main()
