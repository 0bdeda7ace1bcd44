import dataclasses

import pytest
from fixtures import DOC

from frontline.core.documents import Entity
from frontline.eval.metrics import Counts, count
from frontline.gold.agreement import (
    AgreementError,
    agreement,
    annotation_pairs,
    annotators,
    disagreements,
    partial_counts,
    report,
)

LABELS = ["PER", "ORG", "GPE", "LOC", "FAC", "NORP", "GROUP"]


def variant():
    """DOC with 'Syria' relabelled LOC, 'Rebels' widened to 'Rebels took', and one relation less."""
    ents = list(DOC.entities)
    ents[2] = dataclasses.replace(ents[2], label="LOC")
    ents[3] = Entity(36, 47, "GROUP", "Rebels took", "e4")
    return dataclasses.replace(DOC, entities=tuple(ents), relations=DOC.relations[:2])


def test_counts_and_f1():
    c = count(["a", "b", "b"], ["b", "c"])
    assert (c.tp, c.fp, c.fn) == (1, 1, 2)
    assert c.precision == 0.5 and c.recall == pytest.approx(1 / 3) and c.f1 == pytest.approx(0.4)
    assert Counts().f1 is None


def test_identical_annotations_agree_fully():
    a = agreement(DOC, DOC, LABELS)
    assert a.entities_strict == Counts(5, 0, 0) and a.relations_strict == Counts(3, 0, 0)
    assert a.kappa() == 1.0


def test_exact_counts_on_a_variant():
    a = agreement(DOC, variant(), LABELS)
    assert a.entities_strict == Counts(3, 2, 2)
    assert a.entities_partial == Counts(
        4, 1, 1
    )  # "Rebels took" overlaps "Rebels"; Syria's label differs
    assert a.entities_by_label["GPE"] == Counts(2, 0, 1) and a.entities_by_label["LOC"] == Counts(
        0, 1, 0
    )
    # relation 2 (militias -> Syria) keeps its spans but Syria's label changed: a strict miss,
    # a boundaries hit
    assert a.relations_strict == Counts(1, 1, 2)
    assert a.relations_boundaries == Counts(2, 0, 1)
    # shared spans: Rebels->Aleppo has a non-shared head, so only the first two relations count
    assert a.relations_shared == Counts(1, 1, 1)
    assert a.label_pairs.count(("GPE", "LOC")) == 1
    assert a.confusion(LABELS)[2][3] == 1  # row GPE, column LOC


def test_kappa_on_same_span_labels():
    a = agreement(DOC, variant(), LABELS)
    # po = 3/4, pe = (3/4)(2/4) + (1/4)(1/4) = 7/16 -> (12/16 - 7/16) / (9/16) = 5/9
    assert a.kappa() == pytest.approx(5 / 9)


def test_partial_matches_one_to_one():
    wide = dataclasses.replace(
        DOC, entities=(Entity(0, 25, "GPE", DOC.text[:25], "x"),), relations=()
    )
    assert partial_counts(DOC, wide) == Counts(1, 0, 4)


def test_disagreements_are_listed_for_adjudication():
    lines = disagreements(DOC, variant())
    assert "label   [29:34] 'Syria': A GPE, B LOC" in lines
    assert (
        "only A  [36:42] 'Rebels' GROUP" in lines and "only B  [36:47] 'Rebels took' GROUP" in lines
    )
    assert "only A  CONTROLS 'Rebels'[36] -> 'Aleppo'[48]" in lines


def test_report_has_summary_per_article_and_matrix():
    text = report({"tiny": agreement(DOC, variant(), LABELS)}, LABELS, "## Analysis\n\nNotes.")
    assert (
        "<!-- summary -->\nOn 1 double-annotated articles: entity agreement F1 0.600 strict" in text
    )
    assert "| tiny | 0.600 | 0.800 | 0.400 | 0.800 | 0.500 | 5 / 5 | 3 / 2 |" in text
    assert text.rstrip().endswith("Notes.")


def task(doc_id, *annotations):
    """An exported task with ``(annotation id, account, ground truth)`` annotations of DOC."""
    return {
        "data": {"doc_id": doc_id, "text": DOC.text},
        "annotations": [
            {
                "id": ident,
                "completed_by": {"id": ident, "email": who},
                "ground_truth": gt,
                "was_cancelled": False,
                "result": [],
            }
            for ident, who, gt in annotations
        ],
    }


def test_the_two_annotators_come_from_the_export_first_annotation_first():
    tasks = [
        task("only", (1, "solo@x", True)),
        task("a", (7, "late@x", False), (3, "early@x", False), (9, "judge@x", True)),
        task("b", (4, "early@x", False), (8, "late@x", False)),
    ]
    assert annotators(tasks) == ("early@x", "late@x")
    assert sorted(annotation_pairs(tasks)) == ["a", "b"]
    assert annotators([task("only", (1, "solo@x", True))]) is None
    assert annotation_pairs([task("only", (1, "solo@x", True))]) == {}


def test_a_third_annotator_of_the_sample_is_an_error():
    tasks = [
        task("a", (1, "one@x", False), (2, "two@x", False)),
        task("b", (3, "one@x", False), (4, "three@x", False)),
    ]
    with pytest.raises(AgreementError, match=r"found 3 .*three@x \(doc b\)"):
        annotators(tasks)


def test_token_kappa_counts_every_non_space_token_with_its_iob2_tag():
    a = agreement(DOC, variant(), LABELS)
    # 11 tokens; the variant differs on "Syria" (B-LOC for B-GPE) and "took" (I-GROUP for O):
    # observed 9/11, expected by chance 32/121, so kappa = (99 - 32) / (121 - 32)
    assert len(a.token_pairs) == 11
    assert a.token_pairs[5] == ("B-GPE", "B-LOC") and a.token_pairs[8] == ("O", "I-GROUP")
    assert a.token_kappa() == pytest.approx(67 / 89)


def test_report_has_a_row_per_annotation_batch():
    from frontline.gold.sample import ADDED_IN_1_2

    new = sorted(ADDED_IN_1_2)[0]
    per_doc = {"tiny": agreement(DOC, DOC, LABELS), new: agreement(DOC, variant(), LABELS)}
    text = report(per_doc, LABELS)
    assert "| **batch 1.0** | 1.000 | 1.000 | 1.000 | 1.000 | 1.000 | | | 1.000 |" in text
    assert "| **batch 1.2** |" in text
    assert "Batch 1.0 (1 article): entities 1.000, relations 1.000 strict F1" in text
    assert f"token kappa {67 / 89:.3f}." in text
