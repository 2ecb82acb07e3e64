"""Split-size arithmetic shared by the splitters."""

from __future__ import annotations

import math
from collections.abc import Mapping


def largest_remainder_sizes(ratios: Mapping[str, float], n: int) -> dict[str, int]:
    """Integer split sizes that sum to `n`, by largest-remainder rounding of `ratio * n`.

    Ties in the remainder go to the split listed first. Raises `ValueError` for ratios
    outside [0, 1], ratios that do not sum to 1, or a split that would get no samples.
    """
    if not ratios:
        raise ValueError("split ratios must not be empty.")
    for name, r in ratios.items():
        if not 0.0 <= r <= 1.0:
            raise ValueError(f"Ratio for split {name!r} must be in [0, 1], got {r}.")
    if not math.isclose(sum(ratios.values()), 1.0, abs_tol=1e-9):
        raise ValueError(f"Split ratios must sum to 1, got {sum(ratios.values())}.")
    exact = {name: r * n for name, r in ratios.items()}
    sizes = {name: math.floor(v) for name, v in exact.items()}
    left = n - sum(sizes.values())
    by_remainder = sorted(exact, key=lambda k: -(exact[k] - sizes[k]))  # stable on ties
    for name in by_remainder[:left]:
        sizes[name] += 1
    for name, size in sizes.items():
        if size == 0:
            raise ValueError(f"Split {name!r} would receive zero samples. Adjust the ratios.")
    return sizes
