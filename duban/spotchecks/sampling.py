"""How a spot check's sample is drawn — plain Python, so anyone can repeat it (R-K1).

The population is the list of item ids eligible for the draw, in ascending order. The
sample is

    random.Random(seed).sample(population, k)

Python's standard generator (Mersenne Twister) seeded with the integer `seed`, asked
for `k` distinct ids; the order of the result is the order in which the ids were
drawn. The same seed, population and size give the same sample on every machine.
(Python guarantees its seeding and `random()` stay the same across versions; should a
future version ever change `sample`, the stored sample — the draw's `SpotCheck` rows —
remains the record, and the page's "重新演算" check would show the difference.)

The size is either a count, or a percentage of the population rounded up:
ceil(n × p / 100), so any non-empty population gives at least one item.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence

# Generated seeds are 12 digits at most: short enough to read out and type again.
SEED_LIMIT = 10**12


def new_seed() -> int:
    return secrets.randbelow(SEED_LIMIT)


def sample_size(population_size: int, *, count: int | None, percentage: int | None) -> int:
    """The number of items to draw: the count, or the percentage rounded up."""
    if count is not None:
        return count
    assert percentage is not None
    return -(-population_size * percentage // 100)  # ceil without floats


def draw_sample_ids(seed: int, population: Sequence[int], size: int) -> list[int]:
    """The sample: `random.Random(seed).sample(population, size)`."""
    return random.Random(seed).sample(list(population), size)
