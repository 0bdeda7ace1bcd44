import dataclasses

import pytest
from fixtures import DOC

from frontline.core.documents import Document, Entity
from frontline.core.scheme import load_scheme
from frontline.gold.stats import (
    LintDecisionError,
    LintDecisions,
    gold_report,
    label_inconsistencies,
    read_lint_decisions,
    trained_and_held_out,
    unannotated_occurrences,
)


def test_same_string_with_two_labels_is_listed():
    other = Document("b", "Iran said no.", (Entity(0, 4, "ORG", "Iran", "x"),), ())
    assert label_inconsistencies([DOC, other]) == [("Iran", {"GPE": ["tiny"], "ORG": ["b"]})]


def test_unannotated_occurrence_on_token_boundaries_only():
    text = "Syria and Syrian troops; Aleppo."
    other = Document("b", text, (Entity(25, 31, "GPE", "Aleppo", "a"),), ())
    # 'Syria' at 0 is unannotated (a hit); 'Syrian' contains 'Syria' but not on a token boundary
    assert unannotated_occurrences([DOC, other]) == [("Syria", "b", 0)]


def test_string_inside_an_annotated_span_is_not_a_hit():
    text = "Iraqi militias left."
    inside = Document("b", text, (Entity(0, 14, "GROUP", "Iraqi militias", "a"),), ())
    iraqi = dataclasses.replace(DOC, entities=(*DOC.entities,))
    nested = Document("c", "Iraqi officials.", (Entity(0, 5, "NORP", "Iraqi", "n"),), ())
    assert unannotated_occurrences([iraqi, inside, nested]) == []


def test_report_sections(repo):
    report = gold_report([DOC], {"tiny": "test"}, load_scheme(repo.scheme))
    assert "| test | 1 | 5 | 3 |" in report
    assert "| GROUP | GPE | 0 | 0 | 1 | 0 | 0 | 1 | 0 |" in report
    assert "2 sentences; mean 2.50, max 3; sentences without mentions: 0." in report


def test_report_has_the_preannotation_table_when_measured(repo):
    from frontline.studio.preannotate import Matches, matches_table

    measured = {
        "lexicon": Matches(3, 5, 0, 3, False),
        "sklearn-ner+sklearn-relations": Matches(4, 5, 1, 3),
    }
    assert trained_and_held_out([DOC], {"tiny": "test"}) == (0, 1)
    section = matches_table(measured, *trained_and_held_out([DOC], {"tiny": "test"}))
    report = gold_report([DOC], {"tiny": "test"}, load_scheme(repo.scheme), preannotation=section)
    assert "## Pre-annotation: what each model gets exactly right" in report
    assert "scored on the 1 validation and test articles it never trained on" in report
    assert "| lexicon | 3 / 5 (60.0%) | — (no relations proposed) |" in report
    assert "| sklearn-ner+sklearn-relations | 4 / 5 (80.0%) | 1 / 3 (33.3%) |" in report
    assert "Pre-annotation" not in gold_report([DOC], {"tiny": "test"}, load_scheme(repo.scheme))


def test_the_relation_pair_table_has_a_separator_cell_per_column(repo):
    """The tiny gold has 3 of the 7 relation labels; the table has a column for each of the 7
    (the separator once counted only the labels present, which broke the table)."""
    scheme = load_scheme(repo.scheme)
    report = gold_report([DOC], {"tiny": "test"}, scheme)
    header = "| head | tail | " + " | ".join(scheme.relation_names) + " |"
    separator = report.split(header + "\n", 1)[1].splitlines()[0]
    assert separator == "|" + "---|" * (2 + len(scheme.relation_names))


LINT_DOCS = [
    Document("a", "Syria and Syria.", (Entity(0, 5, "GPE", "Syria", "s"),), ()),
    Document("b", "Syria fell.", (Entity(0, 5, "ORG", "Syria", "o"),), ()),
]


def test_lint_hits_without_a_decision_are_marked_not_reviewed(repo):
    report = gold_report(LINT_DOCS, {"a": "train", "b": "test"}, load_scheme(repo.scheme))
    assert "1 string(s). 0 have a decision in `annotation/lint/labels.tsv`" in report
    assert "- 'Syria': GPE in a; ORG in b *not reviewed*" in report
    assert "1 occurrence(s) of an annotated string" in report
    assert "0 have a decision in `annotation/lint/decisions.tsv`" in report
    assert "- 'Syria' in a at 10: \"...Syria and Syria....\" *not reviewed*" in report


def test_lint_decisions_are_read_and_shown(repo, tmp_path):
    (tmp_path / "decisions.tsv").write_text('a\t10\tSyria\tok\trepeated | "x"\n', "utf-8")
    (tmp_path / "labels.tsv").write_text("Syria\tomission\tb should be GPE\n", "utf-8")
    lint = read_lint_decisions(tmp_path)
    assert lint == LintDecisions({("a", 10, "Syria"): "ok"}, {"Syria": "omission"})
    report = gold_report(
        LINT_DOCS, {"a": "train", "b": "test"}, load_scheme(repo.scheme), lint=lint
    )
    assert "- 'Syria': GPE in a; ORG in b *omission*" in report
    assert "Found and not yet fixed in the gold (marked): 1 *omission*." in report
    assert "Every one has a decision in `annotation/lint/decisions.tsv`" in report
    assert "- 'Syria' in a at 10: \"...Syria and Syria....\"\n" in report + "\n"


def test_a_malformed_lint_decision_names_its_line(tmp_path):
    (tmp_path / "decisions.tsv").write_text("a\t10\tSyria\tok\n", "utf-8")
    with pytest.raises(ValueError, match=r"decisions.tsv:1: 4 tab-separated fields, expected 5"):
        read_lint_decisions(tmp_path)


def test_a_lint_decision_without_a_numeric_offset_names_its_line(tmp_path):
    (tmp_path / "decisions.tsv").write_text("a\tten\tSyria\tok\twhy\n", "utf-8")
    with pytest.raises(LintDecisionError, match=r"decisions.tsv:1: offset 'ten' is not a number"):
        read_lint_decisions(tmp_path)


def test_no_lint_folder_means_no_decisions(tmp_path):
    assert read_lint_decisions(tmp_path / "absent") == LintDecisions()


def test_every_lint_hit_of_the_committed_gold_has_a_recorded_decision(repo):
    """A gold change that makes a new lint hit fails here until someone reviews the hit."""
    from frontline.release.build import load_gold

    documents = load_gold(repo).documents
    lint = read_lint_decisions(repo.annotation / "lint")
    hits = {(doc_id, offset, text) for text, doc_id, offset in unannotated_occurrences(documents)}
    mixed = {text for text, _ in label_inconsistencies(documents)}
    assert sorted(hits - set(lint.occurrences)) == []
    assert sorted(mixed - set(lint.labels)) == []
    assert set(lint.occurrences.values()) <= {"ok", "fixed", "omission"}
    assert set(lint.labels.values()) <= {"ok", "fixed", "error"}
    # a hit marked fixed is gone from the gold's lint
    assert [k for k, v in lint.occurrences.items() if v == "fixed" and k in hits] == []
    assert [t for t, v in lint.labels.items() if v == "fixed" and t in mixed] == []
