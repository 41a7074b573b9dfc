"""Weighted picks that draw from a random.Random exactly as `rng.choices(population, cum_weights=...)[0]` does.

`choices` re-checks its arguments and builds a one-element list on every call; the simulator makes about
one such pick per event, so it keeps the population, cumulative weights and total once and only bisects.
Same generator calls, same result: a seed's traffic does not change (tests compare the bytes).
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Callable, Sequence


def weighted(population: Sequence, cum_weights: Sequence[float]) -> Callable:
    """pick(rng.random) -> one item of population, the same item rng.choices(..., cum_weights=...)[0] gives."""
    population, cum_weights = tuple(population), list(cum_weights)
    if len(population) != len(cum_weights) or not population:
        raise ValueError("population and cum_weights must have the same, non-zero length")
    total, hi = cum_weights[-1] + 0.0, len(cum_weights) - 1

    def pick(random: Callable[[], float]):
        return population[bisect_right(cum_weights, random() * total, 0, hi)]

    return pick
