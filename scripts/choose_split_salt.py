"""How the split salt of dataset 1.1 was chosen (run once; kept so the choice can be checked).

``frontline.release.splits`` assigns an article to a split by a salted hash of its id. This script
tries the salts 0-1999 on the committed gold and prints the ones whose split has 10-12
``test`` and 7-9 ``validation`` articles and at least 3 mentions of every entity label and
2 relations of every relation label in each of them, best first: the distance is the total
variation distance between the label distribution of the split and of the whole corpus
(entities plus relations), ``test`` weighted 1 and ``validation`` 0.5. The first line is
``SPLIT_SALT``. Usage::

    python scripts/choose_split_salt.py [--top 10]
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Mapping, Sequence

from frontline.core.paths import find_project
from frontline.release.build import load_gold
from frontline.release.splits import split_of

Labels = dict[str, tuple[Counter[str], Counter[str]]]


def gold_labels(project_root: str | None = None) -> tuple[Labels, dict[str, str]]:
    """Per article: (entity label counts, relation label counts); and each article's licence."""
    gold = load_gold(find_project(project_root))
    labels = {
        d.doc_id: (Counter(e.label for e in d.entities), Counter(r.label for r in d.relations))
        for d in gold.documents
    }
    return labels, {a.id: a.license for a in gold.articles if a.id in labels}


def distance(part: Counter[str], whole: Counter[str]) -> float:
    """Total variation distance between two label distributions."""
    n, m = sum(part.values()) or 1, sum(whole.values()) or 1
    return sum(abs(part[k] / n - whole[k] / m) for k in whole) / 2


def score(
    salt: int, labels: Labels, licences: Mapping[str, str], names: Sequence[Sequence[str]]
) -> float | None:
    """The weighted distance of ``salt``'s split, or None where it breaks a constraint."""
    split = {d: split_of(d, licences[d], salt) for d in labels}
    whole = [sum((labels[d][k] for d in labels), Counter()) for k in (0, 1)]
    total = 0.0
    for name, weight, sizes in (("test", 1.0, range(10, 13)), ("validation", 0.5, range(7, 10))):
        ids = [d for d in labels if split[d] == name]
        part = [sum((labels[d][k] for d in ids), Counter()) for k in (0, 1)]
        if (
            len(ids) not in sizes
            or any(part[0][n] < 3 for n in names[0])
            or any(part[1][n] < 2 for n in names[1])
        ):
            return None
        total += weight * (distance(part[0], whole[0]) + distance(part[1], whole[1]))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=10, help="how many salts to print")
    args = parser.parse_args()
    labels, licences = gold_labels()
    names = [sorted({k for c in labels.values() for k in c[i]}) for i in (0, 1)]
    ranked = sorted(
        (s, salt) for salt in range(2000) if (s := score(salt, labels, licences, names)) is not None
    )
    for s, salt in ranked[: args.top]:
        print(f"salt {salt}: distance {s:.4f}")


if __name__ == "__main__":
    main()
