import copy

import pytest
from fixtures import ARTICLE, DOC, TEXT, task

from frontline.core.documents import to_result
from frontline.core.scheme import load_scheme
from frontline.gold.validate import Flaw, Problem, Sentences, export_problems, result_problems


@pytest.fixture(scope="module")
def scheme(repo):
    return load_scheme(repo.scheme)


def problems(tasks, scheme):
    return [str(p) for p in export_problems(tasks, {"tiny": ARTICLE}, scheme)]


def result():
    return copy.deepcopy(to_result(DOC))


def test_valid_export_has_no_problems(scheme):
    assert problems([task(result())], scheme) == []


def test_problem_names_doc_task_annotation_region():
    p = Problem("tiny", 7, "annotation 1", "e1", "boom")
    assert str(p) == "doc tiny task 7 annotation 1 region e1: boom"


def mutate(path_and_value):
    r = result()
    index, key, value = path_and_value
    target = (
        r[index]["value"]
        if key in ("start", "end", "text", "labels") and "value" in r[index]
        else r[index]
    )
    target[key] = value
    return r


@pytest.mark.parametrize(
    "change, expected",
    [
        (
            (0, "end", 99),
            f"region e1: offsets [0:99] outside the text (length {len(TEXT)}) or empty",
        ),
        ((0, "start", -1), "region e1: offsets [-1:4] outside the text"),
        ((0, "start", "0"), "region e1: start/end must be integers, not '0'/4"),
        ((0, "text", "Iraq"), "region e1: value.text 'Iraq' != text[0:4] 'Iran'"),
        ((0, "labels", ["COUNTRY"]), "region e1: unknown entity label 'COUNTRY'"),
        (
            (0, "labels", ["GPE", "LOC"]),
            "region e1: a span needs exactly one label, has ['GPE', 'LOC']",
        ),
        (
            (0, "from_name", "ner"),
            "region e1: from_name/to_name must be 'label'/'text', not 'ner'/'text'",
        ),
        ((5, "labels", ["HELPS"]), "region e1->e2: unknown relation label 'HELPS'"),
        ((5, "labels", []), "region e1->e2: a relation needs exactly one label, has []"),
        ((5, "to_id", "zz"), "region e1->zz: relation to missing region(s) ['zz']"),
        ((5, "direction", "bi"), "region e1->e2: relations are directed: direction 'bi'"),
    ],
)
def test_each_error_is_reported_with_its_place(scheme, change, expected):
    found = problems([task(mutate(change))], scheme)
    assert any(f"doc tiny task 7 annotation 1 {expected}" in p for p in found), found


def test_duplicate_and_overlapping_spans(scheme):
    r = result()
    r.append(
        {
            "id": "dup",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": 0, "end": 4, "text": "Iran", "labels": ["NORP"]},
        }
    )
    r.append(
        {
            "id": "over",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": 17, "end": 34, "text": TEXT[17:34], "labels": ["GROUP"]},
        }
    )
    assert problems([task(r)], scheme) == [
        "doc tiny task 7 annotation 1 region e1: duplicate span [0:4] (also region dup)",
        "doc tiny task 7 annotation 1 region over: span [17:34] overlaps region e2 [11:25]",
        "doc tiny task 7 annotation 1 region e3: span [29:34] overlaps region over [17:34]",
    ]


def test_relation_across_sentences(scheme):
    r = result() + [
        {
            "type": "relation",
            "from_id": "e4",
            "to_id": "e3",
            "direction": "right",
            "labels": ["CONTROLS"],
        }
    ]
    assert problems([task(r)], scheme) == [
        "doc tiny task 7 annotation 1 region e4->e3: relation ends lie in different sentences (1 "
        "and 0)"
    ]


def test_duplicate_region_id_and_unknown_type(scheme):
    r = result()
    r[1]["id"] = "e1"
    r.append({"id": "c", "type": "choices", "value": {}})
    found = problems([task(r)], scheme)
    assert "doc tiny task 7 annotation 1 region e1: duplicate region id" in found
    assert "doc tiny task 7 annotation 1 region c: unknown result type 'choices'" in found


def test_changed_text_and_unknown_article(scheme):
    assert problems([task(result(), text=TEXT + " ")], scheme) == [
        "doc tiny task 7 task: task text (sha256 "
        f"{__import__('hashlib').sha256((TEXT + ' ').encode()).hexdigest()[:12]}...) "
        f"no longer matches the article (sha256 {ARTICLE.sha256[:12]}...)"
    ]
    assert problems([task([], doc_id="other")], scheme) == [
        "doc other task 7 task: no article 'other' in seeds/"
    ]


def test_predictions_are_validated_too(scheme):
    t = task([])
    t["predictions"] = [{"id": 3, "result": mutate((0, "labels", ["X"]))}]
    assert problems([t], scheme) == [
        "doc tiny task 7 prediction 3 region e1: unknown entity label 'X'"
    ]


def test_two_tasks_for_one_article(scheme):
    second = task(result())
    second["id"] = 8
    assert problems([task(result()), second], scheme) == [
        "doc tiny task 8 task: second task for this article (first: task 7)"
    ]


def test_wrong_shapes_do_not_crash(scheme):
    assert problems({"not": "a list"}, scheme) == [
        "doc ? task ? task: an export must be a JSON list of tasks"
    ]
    assert problems([42], scheme) == ["doc ? task ? task: not a task object with 'data'"]
    t = task([])
    t["annotations"][0]["result"] = "nope"
    assert problems([t], scheme) == ["doc tiny task 7 annotation 1: result must be a list, not str"]


def test_relation_ids_of_the_wrong_type_are_reported(scheme):
    r = result()
    r[5]["from_id"] = ["e1"]
    assert problems([task(r)], scheme) == [
        "doc tiny task 7 annotation 1 region ['e1']->e2: from_id/to_id must be region ids "
        "(strings), "
        "not ['e1']/'e2'"
    ]


def with_second(first: dict, **flags) -> dict:
    t = task(result())
    t["annotations"][0].update(first)
    t["annotations"].append(
        {"id": 9, "result": result(), "ground_truth": False, "was_cancelled": False, **flags}
    )
    return t


def test_a_cancelled_ground_truth_is_an_error_not_a_silent_drop(scheme):
    """Issue 16.3: build takes no cancelled annotation as the gold and left the article out."""
    t = task(result())
    t["annotations"][0]["was_cancelled"] = True
    assert problems([t], scheme) == [
        "doc tiny task 7 annotation 1: marked ground_truth but cancelled (was_cancelled: true): a "
        "cancelled "
        "annotation cannot be the gold; unmark ground_truth or restore the annotation"
    ]
    # also beside another gold: the two flags contradict each other whatever the rest
    assert problems([with_second({}, ground_truth=True, was_cancelled=True)], scheme) == [
        "doc tiny task 7 annotation 9: marked ground_truth but cancelled (was_cancelled: true): a "
        "cancelled "
        "annotation cannot be the gold; unmark ground_truth or restore the annotation"
    ]


def test_two_ground_truths_are_an_error_in_validate_as_in_build(scheme):
    assert problems([with_second({}, ground_truth=True)], scheme) == [
        "doc tiny task 7 task: 2 ground_truth annotations (1, 9); adjudicate to exactly one"
    ]


def test_cancelled_and_second_annotations_that_are_not_gold_are_fine(scheme):
    assert problems([with_second({}, was_cancelled=True)], scheme) == []
    assert (
        problems([with_second({"ground_truth": False})], scheme) == []
    )  # no gold yet: not released, no error


@pytest.mark.parametrize(
    "change, flaw",
    [
        ({"start": 0, "end": 999}, Flaw.NO_SPAN),  # offsets outside the text
        ({"start": "0"}, Flaw.NO_SPAN),  # not integers
        ({"text": "elsewhere"}, Flaw.OTHER),  # value.text differs: the span is still usable
        ({"labels": ["X"]}, Flaw.OTHER),
    ],
)
def test_region_problems_say_what_they_leave_of_the_span(scheme, change, flaw):
    """The checks that use spans follow each problem's kind, not the start of its wording."""
    from frontline.gold.validate import _region_problems

    item = result()[0]
    item["value"].update(change)
    assert [p.flaw for p in _region_problems(item, TEXT, scheme)] == [flaw]


def test_a_spaced_mention_is_reported_once_not_again_as_across_sentences(scheme):
    r = result()
    r[0]["value"]["end"] = end = TEXT.index(".") + 2  # the mention runs on past the full stop
    r[0]["value"]["text"] = TEXT[r[0]["value"]["start"] : end]
    assert TEXT[end - 1].isspace()
    found = [message for rid, message in result_problems(r, TEXT, scheme) if rid == r[0]["id"]]
    assert len(found) == 1 and "starts or ends with whitespace" in found[0]


def test_sentences_of_a_task_are_found_once_and_kept_by_no_one_else(scheme, monkeypatch):
    import frontline.gold.validate as validate

    calls = []
    real = validate.shared_sentences
    monkeypatch.setattr(validate, "shared_sentences", lambda text: calls.append(text) or real(text))
    sentences = Sentences(TEXT)
    for _ in range(3):  # three annotations of one task
        result_problems(result(), TEXT, scheme, sentences)
    assert calls == [TEXT]
    result_problems(result(), TEXT, scheme)  # no cache between calls that share nothing
    assert calls == [TEXT, TEXT]


def test_a_relation_between_labels_the_scheme_does_not_allow_is_named(scheme):
    r = result()
    r[-1]["from_id"], r[-1]["to_id"] = "e5", "e4"  # CONTROLS Aleppo -> Rebels: a GPE holds a GROUP
    assert problems([task(r)], scheme) == [
        "doc tiny task 7 annotation 1 region e5->e4: CONTROLS may not join GPE -> GROUP "
        "(heads PER/ORG/GPE/NORP/GROUP; tails GPE/LOC/FAC: annotation/scheme.toml)"
    ]


def test_a_prediction_may_break_the_gold_rules_its_annotator_fixes(scheme):
    from frontline.core.documents import Document, Entity, Relation

    ents = (
        Entity(0, 4, "GPE", "Iran", "e1"),
        Entity(29, 42, "GROUP", TEXT[29:42], "e2"),  # "Syria. Rebels": across sentences
        Entity(48, 54, "GPE", "Aleppo", "e3"),
    )
    rels = (Relation(2, 1, "CONTROLS"), Relation(0, 2, "LOCATED_IN"))  # GPE -> GROUP; across
    wrong = to_result(Document("tiny", TEXT, ents, rels))
    t = task([])
    t["predictions"] = [{"id": 3, "result": wrong}]
    assert problems([t], scheme) == []
    t["annotations"][0]["result"] = wrong
    found = problems([t], scheme)
    assert len(found) == 3
    assert "region e2: mention [29:42]" in found[0] and "is not inside one sentence" in found[0]
    assert "CONTROLS may not join GPE -> GROUP" in " ".join(found)
    assert "relation ends lie in different sentences (0 and 1)" in " ".join(found)
