"""Which articles are double-annotated: a fixed-seed random sample that includes the seed
article."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

SEED_ARTICLE = "000_2deeeecf94034bb2"
SAMPLE_SEED = 20241202
SAMPLE_FRACTION = 0.25


def double_annotation_sample(
    doc_ids: Sequence[str],
    fraction: float = SAMPLE_FRACTION,
    seed: int = SAMPLE_SEED,
    always: str = SEED_ARTICLE,
) -> list[str]:
    """``ceil(fraction * n)`` ids: ``always`` plus a seeded random draw from the rest, sorted.

    >>> double_annotation_sample(["a", "b", "c", "d"], 0.5, seed=1, always="a")
    ['a', 'b']
    """
    fixed = [always] if always in doc_ids else []
    rest = sorted(d for d in doc_ids if d != always)
    drawn = random.Random(seed).sample(rest, math.ceil(fraction * len(doc_ids)) - len(fixed))
    return sorted([*fixed, *drawn])
