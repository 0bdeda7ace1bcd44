"""Metric code pinned to reference implementations (seqeval, nervaluate) and hand-made cases."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nervaluate import Evaluator
from seqeval.metrics import f1_score
from seqeval.scheme import IOB2

from frontline.core.documents import Document, Entity, Relation
from frontline.eval.metrics import (
    Counts,
    direction_errors,
    entity_counts,
    relation_counts,
    same_label_overlaps,
)

LABELS = ["PER", "ORG", "GPE"]


@st.composite
def flat_spans(draw, length=30):
    """Non-overlapping spans over positions 0..length (token-like units), sorted."""
    cuts = sorted(draw(st.sets(st.integers(0, length), max_size=12)))
    spans = []
    for start, end in zip(cuts[::2], cuts[1::2], strict=False):
        if start < end:
            spans.append((start, end, draw(st.sampled_from(LABELS))))
    return spans


def to_iob2(spans, length=30):
    tags = ["O"] * length
    for start, end, label in spans:
        tags[start] = f"B-{label}"
        for i in range(start + 1, end):
            tags[i] = f"I-{label}"
    return tags


def strict_f1(true_docs, pred_docs):
    total = Counts()
    for t, p in zip(true_docs, pred_docs, strict=True):
        total += entity_counts(t, p, LABELS)["strict"]["overall"]
    return total.prf(False)[2]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(flat_spans(), flat_spans()), min_size=1, max_size=4))
def test_strict_f1_equals_seqeval(docs):
    true_docs, pred_docs = [t for t, _ in docs], [p for _, p in docs]
    expected = f1_score(
        [to_iob2(t) for t in true_docs],
        [to_iob2(p) for p in pred_docs],
        mode="strict",
        scheme=IOB2,
        zero_division=0,
    )
    assert strict_f1(true_docs, pred_docs) == expected


NERVALUATE = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(flat_spans(), flat_spans()), min_size=1, max_size=4))
def test_four_schemes_equal_nervaluate(docs):
    def as_dicts(spans):  # nervaluate's ends are inclusive
        return [{"label": lab, "start": s, "end": e - 1} for s, e, lab in spans]

    true_docs, pred_docs = [t for t, _ in docs], [p for _, p in docs]
    if not any(true_docs) and not any(pred_docs):
        return
    reference = Evaluator(
        [as_dicts(t) for t in true_docs] or [[]],
        [as_dicts(p) for p in pred_docs],
        tags=LABELS,
        loader="dict",
    ).evaluate()
    for ours, theirs in NERVALUATE.items():
        total = Counts()
        for t, p in zip(true_docs, pred_docs, strict=True):
            total += entity_counts(t, p, LABELS)[ours]["overall"]
        ref = reference["overall"][theirs]
        assert (total.correct, total.incorrect, total.partial, total.missed, total.spurious) == (
            ref.correct,
            ref.incorrect,
            ref.partial,
            ref.missed,
            ref.spurious,
        ), ours
        assert total.prf(ours in ("partial", "type")) == (ref.precision, ref.recall, ref.f1)


def test_hand_made_entity_case():
    true = [(0, 4, "GPE"), (11, 25, "GROUP"), (29, 34, "GPE")]
    pred = [(0, 4, "GPE"), (11, 16, "NORP"), (29, 34, "LOC"), (40, 45, "PER")]
    labels = ["PER", "GPE", "LOC", "NORP", "GROUP"]
    counts = entity_counts(true, pred, labels)
    assert counts["strict"]["overall"] == Counts(correct=1, incorrect=2, missed=0, spurious=1)
    assert counts["exact"]["overall"] == Counts(correct=2, incorrect=1, missed=0, spurious=1)
    assert counts["partial"]["overall"] == Counts(correct=2, partial=1, missed=0, spurious=1)
    assert counts["type"]["overall"] == Counts(correct=1, incorrect=2, missed=0, spurious=1)
    assert counts["strict"]["GPE"] == Counts(correct=1, missed=1)
    assert counts["strict"]["overall"].prf(False) == (
        0.25,
        1 / 3,
        2 * 0.25 * (1 / 3) / (0.25 + 1 / 3),
    )


TEXT = "Iran backs Iraqi militias in Syria."


def doc(entities, relations):
    return Document(
        "d",
        TEXT,
        tuple(Entity(s, e, lab, TEXT[s:e], str(i)) for i, (s, e, lab) in enumerate(entities)),
        tuple(Relation(h, t, lab) for h, t, lab in relations),
    )


def test_relation_strict_and_boundaries():
    ents = [(0, 4, "GPE"), (11, 25, "GROUP"), (29, 34, "GPE")]
    gold = doc(ents, [(0, 1, "SUPPORTS"), (1, 2, "LOCATED_IN")])
    relabelled = doc([(0, 4, "NORP"), *ents[1:]], [(0, 1, "SUPPORTS"), (1, 2, "LOCATED_IN")])
    counts = relation_counts(gold, relabelled, ["SUPPORTS", "LOCATED_IN"])
    assert (
        counts["strict"]["overall"].tp,
        counts["strict"]["overall"].fp,
        counts["strict"]["overall"].fn,
    ) == (1, 1, 1)
    assert (counts["boundaries"]["overall"].tp, counts["boundaries"]["overall"].fp) == (2, 0)
    assert counts["strict"]["SUPPORTS"].tp == 0 and counts["strict"]["LOCATED_IN"].tp == 1


def test_reversed_relations_are_counted():
    ents = [(0, 4, "GPE"), (11, 25, "GROUP"), (29, 34, "GPE")]
    gold = doc(ents, [(0, 1, "SUPPORTS")])
    reversed_ = doc(ents, [(1, 0, "SUPPORTS"), (1, 2, "LOCATED_IN")])
    assert direction_errors(gold, reversed_) == 1
    assert relation_counts(gold, reversed_, ["SUPPORTS"])["strict"]["overall"].tp == 0


def test_scores_are_none_where_nothing_was_scored_and_reported_as_zero():
    assert Counts().scores() == (None, None, None) and Counts().prf() == (0.0, 0.0, 0.0)
    assert Counts(missed=2).scores() == (None, 0.0, 0.0)  # nothing predicted: F1 is 0, not None
    assert Counts(spurious=1).scores() == (0.0, None, 0.0)
    both = Counts(correct=1, incorrect=1, partial=2, missed=1, spurious=1)
    assert (both.tp, both.fp, both.fn) == (1, 4, 4)
    assert both.scores(half_partial=True)[:2] == (2 / 5, 2 / 5)


def test_exact_matching_counts_read_as_tp_fp_fn():
    c = Counts(3, 2, 1)
    assert (c.tp, c.fp, c.fn) == (3, 2, 1) and c.f1 == pytest.approx(2 / 3) == c.prf()[2]


def test_strict_needs_the_label_exact_and_partial_do_not_and_type_never_matches_on_bounds():
    true, relabelled = [(0, 4, "GPE")], [(0, 4, "PER")]
    counts = entity_counts(true, relabelled, LABELS)
    assert counts["strict"]["overall"] == Counts(incorrect=1)
    assert counts["exact"]["overall"] == counts["partial"]["overall"] == Counts(correct=1)
    assert counts["type"]["overall"] == Counts(incorrect=1)
    # type: the nearest overlapping span of the same label, so that (7, 9) still finds (0, 10)
    far_then_near = [(0, 10, "GPE"), (2, 5, "GPE")]
    pred = [(2, 6, "GPE"), (7, 9, "GPE")]
    assert entity_counts(far_then_near, pred, LABELS)["type"]["GPE"] == Counts(correct=2)


def test_same_label_overlaps_match_one_to_one_within_a_label():
    true = [(0, 10, "GPE"), (12, 20, "PER")]
    pred = [(0, 3, "PER"), (5, 9, "GPE"), (6, 8, "GPE")]
    assert same_label_overlaps(true, pred) == Counts(correct=1, spurious=2, missed=1)
