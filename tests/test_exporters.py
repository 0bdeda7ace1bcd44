"""The other formats (spaCy DocBin, brat, CoNLL) read back with their own tools, and the one
IOB2 <-> character span conversion (spaCy's, through thin adapters)."""

from pathlib import Path

import pytest
import spacy
from fixtures import DOC
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.tokens import Doc, DocBin, Token

from frontline.core.paths import Project
from frontline.core.scheme import load_scheme
from frontline.core.text import parse
from frontline.release.formats import brat_ann, export, iob2_spans, iob2_tags


def test_spacy_docbin_reads_back_with_entities_sentences_and_relations(
    tmp_path: Path, repo: Project
) -> None:
    (path,) = export("spacy", tmp_path, {"test": [DOC]}, load_scheme(repo.scheme))
    if not Doc.has_extension("relations"):
        Doc.set_extension("relations", default=None)
    (doc,) = DocBin().from_disk(path).get_docs(spacy.blank("en").vocab)
    assert doc.text == DOC.text
    assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == [
        (e.start, e.end, e.label) for e in DOC.entities
    ]
    assert [s.text for s in doc.sents] == [
        "Iran backs Iraqi militias in Syria.",
        "Rebels took Aleppo.",
    ]
    assert list(doc._.relations) == [
        {"head": (0, 4), "tail": (11, 25), "label": "SUPPORTS"},
        {"head": (11, 25), "tail": (29, 34), "label": "LOCATED_IN"},
        {"head": (36, 42), "tail": (48, 54), "label": "CONTROLS"},
    ]


def test_brat_reads_back_with_pybrat(tmp_path: Path, repo: Project) -> None:
    from pybrat.parser import BratParser

    export("brat", tmp_path, {"test": [DOC]}, load_scheme(repo.scheme))
    assert (tmp_path / "test" / "annotation.conf").read_text().startswith("[entities]\nPER\n")
    (example,) = BratParser(error="raise").parse(str(tmp_path / "test"))
    assert example.text == DOC.text
    assert sorted((e.start, e.end, e.type, e.mention) for e in example.entities) == [
        (e.start, e.end, e.label, e.text) for e in DOC.entities
    ]
    assert sorted((r.type, r.arg1.mention, r.arg2.mention) for r in example.relations) == [
        ("CONTROLS", "Rebels", "Aleppo"),
        ("LOCATED_IN", "Iraqi militias", "Syria"),
        ("SUPPORTS", "Iran", "Iraqi militias"),
    ]


def test_brat_ann_lines() -> None:
    assert brat_ann(DOC).splitlines()[:2] == [
        "T1\tGPE 0 4\tIran",
        "T2\tGROUP 11 25\tIraqi militias",
    ]
    assert brat_ann(DOC).splitlines()[5] == "R1\tSUPPORTS Arg1:T1 Arg2:T2"


def test_conll_reads_back_with_spacys_converter(tmp_path: Path, repo: Project) -> None:
    from spacy.training.converters import conll_ner_to_docs

    (path,) = export("conll", tmp_path, {"test": [DOC]}, load_scheme(repo.scheme))
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[:4] == [
        "-DOCSTART- -X- -X- O",
        "",
        "Iran -X- _ B-GPE",
        "backs -X- _ O",
    ]
    (doc,) = conll_ner_to_docs(text, n_sents=10, no_print=True)
    assert [(e.text, e.label_) for e in doc.ents] == [(e.text, e.label) for e in DOC.entities]


def _reference_spans(tokens: list[Token], tags: list[str]) -> list[tuple[int, int, str]]:
    """The hand-written IOB2 decoder the baselines had before spaCy's (kept as the reference):
    an I- tag continues the span before it only if that span has its type and ends on the
    token just before; otherwise it starts a span."""
    spans: list[list] = []
    for token, tag in zip(tokens, tags, strict=True):
        end = token.idx + len(token.text)
        if tag == "O":
            continue
        kind, label = tag.split("-", 1)
        if kind == "I" and spans and spans[-1][2] == label and spans[-1][3] == token.i - 1:
            spans[-1][1], spans[-1][3] = end, token.i
        else:
            spans.append([token.idx, end, label, token.i])
    return [(s, e, lab) for s, e, lab, _ in spans]


WORDS = st.sampled_from(["Iran", "backs", "Iraqi", "militias", ".", ",", "al-Assad", "U.S."])
GAPS = st.sampled_from([" ", " ", " ", "  ", "\n\n", ""])
TAGS = st.sampled_from(["O", "B-GPE", "I-GPE", "B-GROUP", "I-GROUP", "I-NORP"])


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.tuples(WORDS, GAPS, TAGS), min_size=1, max_size=25), st.integers(0, 3))
def test_iob2_spans_equal_the_hand_written_decoder(
    pieces: list[tuple[str, str, str]], drop: int
) -> None:
    """spaCy's iob_to_biluo + biluo_tags_to_offsets (through :func:`iob2_spans`) give the spans
    of the reference decoder on random, also invalid, IOB2 sequences over the words of random
    texts (whitespace tokens left out, as the baselines' sentences do) and over every token."""
    doc = parse("".join(word + gap for word, gap, _ in pieces))
    tags = [tag for _, _, tag in pieces]
    words = [t for t in doc if not t.is_space]
    word_tags = [tags[k % len(tags)] for k in range(len(words))]
    assert iob2_spans(words, word_tags) == _reference_spans(words, word_tags)
    every = [tags[(k + drop) % len(tags)] for k in range(len(doc))]
    assert iob2_spans(list(doc), every) == _reference_spans(list(doc), every)
    part = words[drop:]
    assert iob2_spans(part, word_tags[drop:]) == _reference_spans(part, word_tags[drop:])


def test_iob2_tags_and_spans_round_trip() -> None:
    doc = parse("Iran backs Iraqi militias in  Syria.")
    spans = [(0, 4, "GPE"), (11, 25, "GROUP"), (30, 35, "GPE")]
    tags = iob2_tags(doc, spans)
    assert tags == ["B-GPE", "O", "B-GROUP", "I-GROUP", "O", "O", "B-GPE", "O"]
    assert iob2_spans(list(doc), tags) == spans
    with pytest.raises(ValueError, match="2 IOB2 tags for 8 tokens"):
        iob2_spans(list(doc), tags[:2])
