"""The lexicon model: surface strings of known mentions matched in new text.

It is both the first pre-annotation model (built from the gold so far, so annotators
correct rather than start from nothing) and the memorisation-floor entity baseline.
Matching is over spaCy tokens (so "Iran" never matches inside "Iranian"), longest match
first, left to right, case-sensitive; each surface string takes the label it had most
often in the training documents (ties: scheme order, then alphabetical).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable

from frontline.core.documents import Document, Entity
from frontline.core.text import parse


class Lexicon:
    """Token-sequence -> label table learnt from gold documents."""

    def __init__(self, documents: Iterable[Document], label_order: list[str]):
        votes: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        for doc in documents:
            for ent in doc.entities:
                votes[tuple(t.text for t in parse(ent.text) if not t.is_space)][ent.label] += 1
        rank = {name: i for i, name in enumerate(label_order)}
        self.entries = {
            surface: min(c, key=lambda lab: (-c[lab], rank.get(lab, len(rank)), lab))
            for surface, c in votes.items()
            if surface
        }
        self.longest = max((len(s) for s in self.entries), default=0)
        digest = hashlib.sha256(repr(sorted(self.entries.items())).encode()).hexdigest()[:12]
        self.version = f"lexicon-{digest}"

    def predict(self, doc_id: str, text: str) -> Document:
        """Entities found in ``text`` (no relations)."""
        tokens = [t for t in parse(text) if not t.is_space]
        words = [t.text for t in tokens]
        entities, i = [], 0
        while i < len(tokens):
            for n in range(min(self.longest, len(tokens) - i), 0, -1):
                label = self.entries.get(tuple(words[i : i + n]))
                if label:
                    start, end = tokens[i].idx, tokens[i + n - 1].idx + len(tokens[i + n - 1].text)
                    entities.append(
                        Entity(start, end, label, text[start:end], f"lex{len(entities) + 1}")
                    )
                    i += n
                    break
            else:
                i += 1
        return Document(doc_id, text, tuple(entities), ())
