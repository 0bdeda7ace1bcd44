"""Which split an article belongs to: a rule on the article alone, stable as the corpus grows.

The rule (dataset 1.1 on):

* an article whose licence is not open (CC BY or public domain; see :func:`is_open_licence`)
  is always ``train``, so that ``validation`` and ``test`` can be redistributed freely;
* any other article hashes its id with the salt ``SPLIT_SALT``:
  ``u = int(sha256(f"frontline-split-{SPLIT_SALT}:{id}")[:16 hex digits], 16) / 2**64``;
  ``u < TEST_FRACTION`` is ``test``, ``u < TEST_FRACTION + VALIDATION_FRACTION`` is
  ``validation``, the rest ``train``.

An article's split depends on its id and licence only, never on the other articles, so a
released article keeps its split when articles are added, and a new article gets its split
by the same rule. The salt was chosen once, for dataset 1.1, by
``scripts/choose_split_salt.py``: of the salts 0-1999 whose split has 10-12 test and 7-9
validation articles and at least 3 mentions of every entity label and 2 relations of every
relation label in each of them, the one whose test and validation label distributions are
closest to the whole corpus (total variation distance, test weighted 1, validation 0.5).
It never changes again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

SPLITS = ("train", "validation", "test")
SPLIT_SALT = 1758
TEST_FRACTION = 0.20
VALIDATION_FRACTION = 0.15
OPEN_LICENCE_PREFIXES = ("CC BY", "public domain")


def is_open_licence(licence: str) -> bool:
    """Whether a text under ``licence`` may go to ``validation`` or ``test``.

    >>> [is_open_licence(x) for x in ("CC BY 2.5", "public domain", "not stated")]
    [True, True, False]
    """
    return licence.startswith(OPEN_LICENCE_PREFIXES)


def position(doc_id: str, salt: int = SPLIT_SALT) -> float:
    """The article's place in [0, 1): the first 64 bits of a salted SHA-256 of its id.

    >>> round(position("wikinews-2011-04-21-france-italy-uk-sending-military-advisers-to-libya"), 4)
    0.1036
    """
    digest = hashlib.sha256(f"frontline-split-{salt}:{doc_id}".encode()).hexdigest()
    return int(digest[:16], 16) / 2**64


def split_of(doc_id: str, licence: str, salt: int = SPLIT_SALT) -> str:
    """``train``, ``validation`` or ``test`` for one article, by the rule above."""
    if not is_open_licence(licence):
        return "train"
    u = position(doc_id, salt)
    return (
        "test"
        if u < TEST_FRACTION
        else "validation"
        if u < TEST_FRACTION + VALIDATION_FRACTION
        else "train"
    )


def assign_splits(
    licences: Mapping[str, str] | Iterable[tuple[str, str]], salt: int = SPLIT_SALT
) -> dict[str, str]:
    """The split of every article, given ``{id: licence}`` (or ``(id, licence)`` pairs)."""
    pairs = licences.items() if isinstance(licences, Mapping) else licences
    return {doc_id: split_of(doc_id, licence, salt) for doc_id, licence in pairs}
