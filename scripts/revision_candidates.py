#!/usr/bin/env python
"""Candidates for revising the gold to guidelines 2.0: every mention and relation a decision
of ``annotation/adjudication/guidelines-2.0-decisions.md`` may change, found by string and
label patterns. Candidates only: each is decided by reading the sentence against the
guidelines, and the decisions are logged in ``annotation/adjudication/``.

    python scripts/revision_candidates.py > /tmp/candidates.md
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from frontline.core.documents import Document
from frontline.core.scheme import Scheme, load_scheme
from frontline.core.text import parse, sentence_spans
from frontline.gold.exports import gold_documents, read_export

#: One sentence as the checks see it: the document, the sentence span, and its entity indices.
Where = tuple[Document, tuple[int, int], list[int]]
Check = Callable[[Where, Scheme], Iterator[str]]

GROUP_NOUNS_2_0 = r"dissidents|rioters|service members|servicemen|gunmen|attackers|assailants"
GROUP_NOUNS_2_0 += r"|hijackers|kidnappers|pirates|snipers|bombers|guerrillas"


def _mention(doc: Document, i: int) -> str:
    e = doc.entities[i]
    return f"{e.text}/{e.label}"


def _relations(where: Where) -> Iterator[tuple[str, int, int]]:
    doc, _, inside = where
    for r in doc.relations:
        if r.head in inside:
            yield r.label, r.head, r.tail


def _text(where: Where) -> str:
    doc, (start, end), _ = where
    return doc.text[start:end]


def crowd(where: Where, scheme: Scheme) -> Iterator[str]:
    """D4: a GROUP with "crowd" in it; "mob" not annotated."""
    doc, _, inside = where
    for i in inside:
        if doc.entities[i].label == "GROUP" and "crowd" in doc.entities[i].text.lower():
            yield f"GROUP {_mention(doc, i)}"
    if re.search(r"\bmobs?\b", _text(where)) and not any(
        "mob" in doc.entities[i].text for i in inside
    ):
        yield "'mob' not annotated"


def near(where: Where, scheme: Scheme) -> Iterator[str]:
    """D5: LOCATED_IN in a sentence that says near/around/outside/close to/toward."""
    doc = where[0]
    words = re.findall(r"\b(?:near|around|outside|close to|towards?)\b", _text(where))
    for label, h, t in _relations(where):
        if label == "LOCATED_IN" and words:
            yield f"LOCATED_IN {_mention(doc, h)} -> {_mention(doc, t)} ({', '.join(words)})"


def predicate(where: Where, scheme: Scheme) -> Iterator[str]:
    """D6: a GROUP after a copula or after mistake/label ... for/as."""
    doc, _, inside = where
    pattern = r"\b(?:is|are|was|were|being|be|as|for)\s+(?:\w+\s+){0,3}$"
    for i in inside:
        e = doc.entities[i]
        before = doc.text[max(0, e.start - 40) : e.start]
        if e.label == "GROUP" and re.search(pattern, before):
            yield f"GROUP {_mention(doc, i)} after {before.strip()[-25:]!r}"


def followers(where: Where, scheme: Scheme) -> Iterator[str]:
    """D7: LEADS to followers/supporters/loyalists."""
    doc = where[0]
    for label, h, t in _relations(where):
        tail = doc.entities[t].text.lower()
        if label == "LEADS" and re.search(r"follower|supporter|loyalist", tail):
            yield f"LEADS {_mention(doc, h)} -> {_mention(doc, t)}"


def norp_roles(where: Where, scheme: Scheme) -> Iterator[str]:
    """D8, D9: a NORP tail of LEADS/CONTROLS; a NORP head of MEETS/LEADS/CONTROLS/LOCATED_IN."""
    doc = where[0]
    for label, h, t in _relations(where):
        head, tail = doc.entities[h].label, doc.entities[t].label
        if (tail == "NORP" and label in {"LEADS", "CONTROLS"}) or (
            head == "NORP" and label in {"MEETS", "LEADS", "CONTROLS", "LOCATED_IN"}
        ):
            yield f"{label} {_mention(doc, h)} -> {_mention(doc, t)}"


def units(where: Where, scheme: Scheme) -> Iterator[str]:
    """D11: "unit" not in a GROUP mention, or a GROUP unit without MEMBER_OF."""
    doc, _, inside = where
    covered = [doc.entities[i] for i in inside]
    for match in re.finditer(r"\bunits?\b", _text(where)):
        at = where[1][0] + match.start()
        hit = [e for e in covered if e.start <= at < e.end]
        if not hit or hit[0].label != "GROUP":
            yield f"'unit' in {hit[0].text + '/' + hit[0].label if hit else 'no mention'}"


def movement(where: Where, scheme: Scheme) -> Iterator[str]:
    """D12: relations in a sentence about moving toward a place."""
    doc = where[0]
    if re.search(r"closer to|toward|headed for|advanc\w+ on|edg\w+", _text(where)):
        for label, h, t in _relations(where):
            if label in {"ATTACKS", "LOCATED_IN"}:
                yield f"{label} {_mention(doc, h)} -> {_mention(doc, t)}"


def possessive(where: Where, scheme: Scheme) -> Iterator[str]:
    """D13: "GPE's GROUP" and the relations between them."""
    doc, _, inside = where
    for a, b in zip(inside, inside[1:], strict=False):
        x, y = doc.entities[a], doc.entities[b]
        between = doc.text[x.end : y.start]
        if x.label == "GPE" and y.label == "GROUP" and between in {"'s ", "’s "}:
            found = [label for label, h, t in _relations(where) if {h, t} == {a, b}]
            yield f"{x.text}'s {y.text}: {found or 'no relation'}"


def respectively(where: Where, scheme: Scheme) -> Iterator[str]:
    """D14: sentences with "respectively"."""
    if "respectively" in _text(where):
        yield f"{len(list(_relations(where)))} relation(s)"


def inclusion(where: Where, scheme: Scheme) -> Iterator[str]:
    """D15: MEMBER_OF in a sentence with "including" or "among them"."""
    doc = where[0]
    if re.search(r"\bincluding\b|\bamong them\b", _text(where)):
        for label, h, t in _relations(where):
            if label == "MEMBER_OF":
                yield f"MEMBER_OF {_mention(doc, h)} -> {_mention(doc, t)}"


def new_group_nouns(where: Where, scheme: Scheme) -> Iterator[str]:
    """D16: a GROUP noun of 2.0 that no mention covers."""
    doc, (start, _), inside = where
    for match in re.finditer(rf"\b(?:{GROUP_NOUNS_2_0})\b", _text(where), re.IGNORECASE):
        at = start + match.start()
        if not any(doc.entities[i].start <= at < doc.entities[i].end for i in inside):
            yield f"{match[0]!r} not annotated"


def houthi(where: Where, scheme: Scheme) -> Iterator[str]:
    """D17: "Houthi" not ORG."""
    doc, _, inside = where
    for i in inside:
        if "Houthi" in doc.entities[i].text and doc.entities[i].label != "ORG":
            yield _mention(doc, i)


def meets(where: Where, scheme: Scheme) -> Iterator[str]:
    """D18: phone calls and deals between two annotated parties, without MEETS."""
    words = (
        r"phoned|telephone|by phone|reached an? \w* ?(?:deal|agreement)|signed an? \w* ?agreement"
    )
    if re.search(words, _text(where)) and "MEETS" not in {x[0] for x in _relations(where)}:
        yield "no MEETS"


def suspicion(where: Where, scheme: Scheme) -> Iterator[str]:
    """D19: a suspicion or accusation of an attack, without ATTACKS."""
    if re.search(r"\bsuspect\w*\b|\baccus\w+\b", _text(where)) and "ATTACKS" not in {
        x[0] for x in _relations(where)
    }:
        yield "no ATTACKS"


def types(where: Where, scheme: Scheme) -> Iterator[str]:
    """Scheme 1.1: a relation between entity labels the scheme does not allow."""
    doc = where[0]
    for label, h, t in _relations(where):
        relation = next(x for x in scheme.relations if x.name == label)
        if not relation.allows(doc.entities[h].label, doc.entities[t].label):
            yield f"{label} {_mention(doc, h)} -> {_mention(doc, t)}"


CHECKS: dict[str, Check] = {
    "D4 crowd": crowd,
    "D5 near/around": near,
    "D6 predicate noun": predicate,
    "D7 followers": followers,
    "D8/D9 NORP roles": norp_roles,
    "D11 unit": units,
    "D12 movement": movement,
    "D13 possessive": possessive,
    "D14 respectively": respectively,
    "D15 inclusion": inclusion,
    "D16 GROUP nouns": new_group_nouns,
    "D17 Houthi": houthi,
    "D18 MEETS": meets,
    "D19 suspicion": suspicion,
    "scheme 1.1 types": types,
}


def sentences(doc: Document) -> Iterator[tuple[int, Where]]:
    for n, span in enumerate(sentence_spans(parse(doc.text))):
        inside = [i for i, e in enumerate(doc.entities) if span[0] <= e.start < span[1]]
        yield n, (doc, span, inside)


def candidates(docs: list[Document], scheme: Scheme) -> Iterator[str]:
    for doc in docs:
        for n, where in sentences(doc):
            for name, check in CHECKS.items():
                for found in check(where, scheme):
                    yield f"| {doc.doc_id} | S{n} | {name} | {found} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path("."), help="the Frontline checkout")
    args = parser.parse_args(argv)
    scheme = load_scheme(args.root / "annotation/scheme.toml")
    docs, _ = gold_documents(read_export(args.root / "annotation/exports/frontline-gold.json"))
    rows = list(candidates(docs, scheme))
    print("| article | sentence | decision | candidate |\n|---|---|---|---|")
    print("\n".join(rows))
    print(f"\n{len(rows)} candidate(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
