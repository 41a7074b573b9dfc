"""Compare simulated behaviour with a real shopper sample (REES46, tests/data, 1,000 rows).

    python -m simulator.compare [--sample PATH] [--days 1] [--seed 42]

The sample has product events only (view, cart, purchase line items), so the simulator's events are
reduced to the same shape: product page views, add_to_cart, and one row per purchased line item.
Printed side by side: gaps between a session's consecutive product events, the view:cart:purchase
ratio, the price mix of viewed products and the top-level category mix.
"""

from __future__ import annotations

import csv
import statistics
from collections import Counter
from datetime import datetime
from pathlib import Path

import click

from simulator.audience import SHARDS
from simulator.traffic import Simulation
from simulator.truth import TruthRecorder

DEFAULT_SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "rees46-2019-10-01-first-1000.csv"


class _Collect:
    """A sink that keeps the human visits in memory."""

    def __init__(self):
        self.visits = []

    def visit(self, v, watermark_ms):
        if not v.is_bot:
            self.visits.append(v)

    def close(self):
        pass


def sample_rows(path: Path) -> list[dict]:
    """(session, t_seconds, kind, price, category) rows of the real sample."""
    rows = []
    with open(path, newline="") as fh:
        for r in csv.DictReader(fh):
            t = datetime.strptime(r["event_time"][:19], "%Y-%m-%d %H:%M:%S").timestamp()
            rows.append({"session": r["user_session"], "t": t, "kind": r["event_type"], "price": float(r["price"]),
                         "category": (r["category_code"] or "").split(".")[0] or "(none)"})
    return rows


def simulated_rows(days: float, seed: int, visitors_per_day: int = 2000) -> list[dict]:
    start = 1_762_905_600_000  # 2025-11-12T00:00Z: any fixed day
    sink = _Collect()
    for shard in range(len(SHARDS)):
        Simulation(seed, start, start + int(days * 86_400_000), visitors_per_day, shard=shard).run(sink, TruthRecorder({}))
    rows = []
    for v in sink.visits:
        for t, etype, _page, ecom, _props, _uid, _eid, _ref in v.events:
            if etype == "view" and ecom is not None:
                rows.append({"session": v.session_id, "t": t / 1000, "kind": "view", "price": ecom[0]["price"],
                             "category": ecom[0]["category"].split(".")[0]})
            elif etype == "add_to_cart":
                rows.append({"session": v.session_id, "t": t / 1000, "kind": "cart", "price": ecom[0]["price"],
                             "category": ecom[0]["category"].split(".")[0]})
            elif etype == "purchase" and ecom is not None:
                for item in ecom[0]["items"]:
                    rows.append({"session": v.session_id, "t": t / 1000, "kind": "purchase", "price": item["price"],
                                 "category": item["category"].split(".")[0]})
    return rows


def profile(rows: list[dict]) -> dict:
    by_session: dict[str, list[float]] = {}
    for r in rows:
        by_session.setdefault(r["session"], []).append(r["t"])
    gaps = []
    for ts in by_session.values():
        ts.sort()
        gaps += [b - a for a, b in zip(ts, ts[1:])]
    kinds = Counter(r["kind"] for r in rows)
    views = kinds["view"] or 1
    prices = [r["price"] for r in rows if r["kind"] == "view"]
    cats = Counter(r["category"] for r in rows)
    return {
        "rows": len(rows),
        "sessions": len(by_session),
        "events_per_session": len(rows) / max(1, len(by_session)),
        "gap_p10_p50_p90_s": [round(q, 1) for q in _quantiles(gaps, (0.1, 0.5, 0.9))],
        "cart_per_100_views": round(100 * kinds["cart"] / views, 2),
        "purchase_lines_per_100_views": round(100 * kinds["purchase"] / views, 2),
        "view_price_p10_p50_p90": [round(q, 2) for q in _quantiles(prices, (0.1, 0.5, 0.9))],
        "top_categories": [f"{c} {100 * n / len(rows):.0f}%" for c, n in cats.most_common(4)],
    }


def _quantiles(values: list[float], qs) -> list[float]:
    if len(values) < 2:
        return [float("nan")] * len(qs)
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return [cuts[int(q * 100) - 1] for q in qs]


def compare(sample: Path, days: float = 1.0, seed: int = 42) -> dict:
    return {"real_sample": profile(sample_rows(sample)), "simulated": profile(simulated_rows(days, seed))}


@click.command()
@click.option("--sample", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=DEFAULT_SAMPLE,
              help="The REES46 CSV sample.")
@click.option("--days", type=float, default=1.0, help="Simulated days to profile.")
@click.option("--seed", type=int, default=42)
def main(sample: Path, days: float, seed: int) -> None:
    """Print the simulator's behaviour next to the real sample's."""
    result = compare(sample, days, seed)
    real, sim = result["real_sample"], result["simulated"]
    click.echo(f"{'measure':32} {'real sample (REES46)':>36} {'simulator':>36}")
    for key in real:
        click.echo(f"{key:32} {str(real[key]):>36} {str(sim[key]):>36}")


if __name__ == "__main__":
    main()
