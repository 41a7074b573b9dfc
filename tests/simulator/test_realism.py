"""The simulator's shoppers behave like the real sample (REES46, tests/data) within loose bands."""

from __future__ import annotations

import pytest

from simulator.compare import DEFAULT_SAMPLE, compare


@pytest.mark.skipif(not DEFAULT_SAMPLE.exists(), reason=f"the real sample is not at {DEFAULT_SAMPLE}")
def test_behaviour_is_close_to_the_real_sample():
    result = compare(DEFAULT_SAMPLE, days=0.5, seed=3)
    real, sim = result["real_sample"], result["simulated"]
    assert real["rows"] == 1000

    def within(a: float, b: float, factor: float) -> bool:
        return b / factor <= a <= b * factor

    # Gaps between a session's consecutive product events: the same shape (tens of seconds, long tail).
    for got, want in zip(sim["gap_p10_p50_p90_s"], real["gap_p10_p50_p90_s"]):
        assert within(got, want, 2.0), (sim["gap_p10_p50_p90_s"], real["gap_p10_p50_p90_s"])
    assert within(sim["events_per_session"], real["events_per_session"], 2.0)
    # Purchases per view: about one purchased line per 100 product views in both.
    assert within(sim["purchase_lines_per_100_views"], real["purchase_lines_per_100_views"], 3.0)
    # Prices: a computers shop is dearer than the sample's mixed catalog, but the same order of magnitude.
    for got, want in zip(sim["view_price_p10_p50_p90"], real["view_price_p10_p50_p90"]):
        assert within(got, want, 3.0)
    # Electronics is a major category in both.
    assert any(c.startswith("electronics") for c in sim["top_categories"][:2])
