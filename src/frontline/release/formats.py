"""The gold in other formats people ask for: spaCy ``DocBin``, brat standoff, CoNLL IOB.

* ``spacy``: one ``<split>.spacy`` DocBin per split; entities as ``doc.ents``, sentence
  starts, and relations in the ``Doc._.relations`` extension: a list of
  ``{"head": (start, end), "tail": (start, end), "label": str}`` with character offsets
  (end exclusive) of the two mentions. Register the extension before loading:
  ``Doc.set_extension("relations", default=None)``; it is stored in ``user_data``.
* ``brat``: ``<split>/<id>.txt`` (the text) and ``<id>.ann`` with ``T`` lines (mentions)
  and ``R`` lines (relations, ``Arg1`` head, ``Arg2`` tail), plus ``annotation.conf``.
* ``conll``: ``<split>.conll``, CoNLL-2003 style (``token -X- _ IOB2-tag``, a blank line
  between sentences, ``-DOCSTART-`` between articles). **Entities only**: the format has
  no place for relations.

IOB2 tags and character spans are converted here, for every user (the CoNLL export, the
baselines' training and decoding): :func:`iob2_tags` and :func:`iob2_spans`, thin adapters
of spaCy's ``offsets_to_biluo_tags`` / ``biluo_to_iob`` and ``iob_to_biluo`` /
``biluo_tags_to_offsets``. (The dataset build makes the ``ner`` config's tag ids with a
vectorised equivalent, :func:`frontline.release.dataset.iob2_ids`, tested equal to
:func:`iob2_tags` on the whole corpus.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from spacy.tokens import Doc, DocBin, Token
from spacy.training import (
    biluo_tags_to_offsets,
    biluo_to_iob,
    iob_to_biluo,
    offsets_to_biluo_tags,
)

from frontline.core.documents import Document
from frontline.core.scheme import Scheme
from frontline.core.text import parse, sentence_spans

FORMATS = ("spacy", "brat", "conll")
RELATIONS_EXTENSION = "relations"
CharSpan = tuple[int, int, str]  # (start, end exclusive, label), character offsets


def iob2_tags(doc: Doc, spans: Iterable[CharSpan]) -> list[str]:
    """The IOB2 tag of every token of ``doc`` from labelled character spans that start and end
    on token boundaries (whitespace tokens inside a span are inside it).

    >>> from frontline.core.text import parse
    >>> iob2_tags(parse("Iraqi militias moved"), [(0, 14, "GROUP")])
    ['B-GROUP', 'I-GROUP', 'O']
    """
    return biluo_to_iob(offsets_to_biluo_tags(doc, list(spans)))


def iob2_spans(tokens: Sequence[Token], tags: Sequence[str]) -> list[CharSpan]:
    """The labelled character spans of IOB2 ``tags``, one tag per token of ``tokens``: tokens of
    one doc in order, not necessarily adjacent (a sentence's words, its whitespace tokens left
    out). The tokens left out count as ``O``, so a span never runs across one.

    An ``I-`` tag that does not continue a span of its type (first, after ``O``, after another
    type, after a left-out token) starts a span, as spaCy's ``iob_to_biluo`` reads it: no
    repair is needed before it.

    >>> from frontline.core.text import parse
    >>> doc = parse("Iraqi militias moved")
    >>> iob2_spans(list(doc), ["I-GROUP", "I-GROUP", "O"])
    [(0, 14, 'GROUP')]
    >>> iob2_spans(list(doc), ["B-NORP", "I-GROUP", "O"])
    [(0, 5, 'NORP'), (6, 14, 'GROUP')]
    """
    if len(tags) != len(tokens):
        raise ValueError(f"{len(tags)} IOB2 tags for {len(tokens)} tokens")
    if not tokens:
        return []
    first, last = tokens[0].i, tokens[-1].i
    window = ["O"] * (last + 1 - first)
    for token, tag in zip(tokens, tags, strict=True):
        window[token.i - first] = tag
    run = tokens[0].doc[first : last + 1]
    shift = run.start_char
    return [
        (start + shift, end + shift, str(label))
        for start, end, label in biluo_tags_to_offsets(run.as_doc(), iob_to_biluo(window))
    ]


def spacy_doc(gold: Document) -> Doc:
    """A spaCy Doc of the gold: tokens and sentences from :mod:`frontline.core.text`, entities,
    relations."""
    if not Doc.has_extension(RELATIONS_EXTENSION):
        Doc.set_extension(RELATIONS_EXTENSION, default=None)
    doc = parse(gold.text)
    doc.ents = [doc.char_span(e.start, e.end, label=e.label) for e in gold.entities]
    doc._.relations = [
        {
            "head": (gold.entities[r.head].start, gold.entities[r.head].end),
            "tail": (gold.entities[r.tail].start, gold.entities[r.tail].end),
            "label": r.label,
        }
        for r in gold.relations
    ]
    return doc


def write_spacy(path: Path, documents: Sequence[Document]) -> None:
    """One DocBin of ``documents`` (:func:`spacy_doc`)."""
    DocBin(
        attrs=["ORTH", "SENT_START", "ENT_IOB", "ENT_TYPE"],
        store_user_data=True,
        docs=[spacy_doc(d) for d in documents],
    ).to_disk(path)


def brat_ann(gold: Document) -> str:
    """The ``.ann`` text of one document."""
    lines = [
        f"T{i + 1}\t{e.label} {e.start} {e.end}\t{e.text}" for i, e in enumerate(gold.entities)
    ]
    lines += [
        f"R{k + 1}\t{r.label} Arg1:T{r.head + 1} Arg2:T{r.tail + 1}"
        for k, r in enumerate(gold.relations)
    ]
    return "\n".join(lines) + ("\n" if lines else "")


def brat_conf(scheme: Scheme) -> str:
    """``annotation.conf`` so that brat can open the folder."""
    entity_list = "|".join(scheme.entity_names)
    relations = [
        f"{name}\tArg1:{entity_list}, Arg2:{entity_list}" for name in scheme.relation_names
    ]
    return (
        "\n".join(
            [
                "[entities]",
                *scheme.entity_names,
                "[relations]",
                *relations,
                "[events]",
                "[attributes]",
            ]
        )
        + "\n"
    )


def write_brat(folder: Path, documents: Sequence[Document], scheme: Scheme) -> None:
    """``annotation.conf`` and a ``.txt`` and ``.ann`` per document in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "annotation.conf").write_text(brat_conf(scheme), encoding="utf-8")
    for gold in documents:
        (folder / f"{gold.doc_id}.txt").write_text(gold.text, encoding="utf-8", newline="")
        (folder / f"{gold.doc_id}.ann").write_text(brat_ann(gold), encoding="utf-8")


def conll_lines(gold: Document) -> list[str]:
    """The CoNLL lines of one document: ``-DOCSTART-``, then a word per line, each sentence
    followed by a blank line."""
    doc = parse(gold.text)
    tags = iob2_tags(doc, [(e.start, e.end, e.label) for e in gold.entities])
    lines = ["-DOCSTART- -X- -X- O", ""]
    for start, end in sentence_spans(doc):
        lines += [
            f"{t.text} -X- _ {tags[t.i]}" for t in doc.char_span(start, end) if not t.is_space
        ]
        lines.append("")
    return lines


def write_conll(path: Path, documents: Sequence[Document]) -> None:
    """One CoNLL file of ``documents``."""
    path.write_text("\n".join(line for d in documents for line in conll_lines(d)), encoding="utf-8")


def export(
    fmt: str, folder: Path, by_split: dict[str, list[Document]], scheme: Scheme
) -> list[Path]:
    """Write ``fmt`` for every split into ``folder``; return what was written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for split, documents in sorted(by_split.items()):
        if fmt == "spacy":
            path = folder / f"{split}.spacy"
            write_spacy(path, documents)
        elif fmt == "brat":
            path = folder / split
            write_brat(path, documents, scheme)
        elif fmt == "conll":
            path = folder / f"{split}.conll"
            write_conll(path, documents)
        else:
            raise ValueError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
        written.append(path)
    return written
