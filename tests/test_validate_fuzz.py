"""Property-based: any mutation of a valid export ends in a list of problems, never a crash."""

import copy
import json

from conftest import REPO
from fixtures import ARTICLE, DOC, task
from hypothesis import given, settings
from hypothesis import strategies as st

from frontline.core.documents import to_result
from frontline.core.scheme import Scheme, load_scheme
from frontline.core.text import parse
from frontline.gold.exports import gold_documents
from frontline.gold.validate import export_problems
from frontline.release.dataset import AlignmentError, article_rows

SCHEME: Scheme = load_scheme(REPO / "annotation" / "scheme.toml")
TOKENS = [(t.idx, t.idx + len(t)) for t in parse(ARTICLE.text)]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 200),
    st.text(max_size=8),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


KINDS = ["value", "item", "relation", "drop", "duplicate", "span", "annotation", "flags", "second"]


def _overlapping(result, item, start, end):
    """The other mentions of ``result`` whose spans overlap ``[start, end)``."""
    return [
        r
        for r in result
        if r is not item
        and isinstance(r, dict)
        and isinstance(r.get("value"), dict)
        and type(r["value"].get("start")) is int
        and type(r["value"].get("end")) is int
        and r["value"]["start"] < end
        and start < r["value"]["end"]
    ]


def _new_span(draw, result):
    """New offsets and the text to match: maybe across sentences or spaces."""
    item = draw(st.sampled_from(result))
    if not isinstance(item.get("value"), dict):
        return
    start = draw(st.sampled_from([s for s, _ in TOKENS] + [e for _, e in TOKENS[:-1]]))
    end = draw(st.sampled_from([e for _, e in TOKENS if start < e <= start + 25] + [start + 1]))
    item["value"].update(start=start, end=end, text=ARTICLE.text[start:end])
    others = _overlapping(result, item, start, end)
    if draw(st.booleans()):  # make room: drop the mentions it overlaps, and their relations
        gone = [o.get("id") for o in others]
        result[:] = [
            r
            for r in result
            if not any(r is o for o in others)
            and not (
                isinstance(r, dict)
                and r.get("type") == "relation"
                and (r.get("from_id") in gone or r.get("to_id") in gone)
            )
        ]


def _mutate_result(draw, kind, result):
    """One change of kind ``kind`` to a non-empty result."""
    item = draw(st.sampled_from(result)) if kind in ("value", "item", "relation") else None
    if kind == "value" and isinstance(item.get("value"), dict):
        item["value"][draw(st.sampled_from(["start", "end", "text", "labels"]))] = draw(VALUES)
    elif kind == "item":
        item[draw(st.sampled_from(["id", "type", "from_name", "to_name", "value"]))] = draw(VALUES)
    elif kind == "relation":
        key = draw(st.sampled_from(["from_id", "to_id", "labels", "direction"]))
        item.update({"type": "relation", key: draw(VALUES)})
    elif kind == "span":
        _new_span(draw, result)
    elif kind == "drop":
        del result[draw(st.integers(0, len(result) - 1))]
    elif kind == "duplicate":
        result.append(copy.deepcopy(draw(st.sampled_from(result))))


def _mutate_task(draw, kind, tasks, result):
    """One change of kind ``kind`` to the task or its annotations."""
    annotations = tasks[0]["annotations"]
    if kind == "annotation":
        key = draw(st.sampled_from(["ground_truth", "was_cancelled", "id", "result"]))
        annotations[0][key] = draw(VALUES)
    elif (
        kind == "flags"
    ):  # the flags that decide the gold, as booleans (what validation lets through)
        annotations[-1][draw(st.sampled_from(["ground_truth", "was_cancelled"]))] = draw(
            st.booleans()
        )
    elif (
        kind == "second"
    ):  # another annotator's annotation, maybe also marked gold, maybe cancelled
        annotations.append(
            {
                "id": 90 + len(annotations),
                "result": copy.deepcopy(result),
                "ground_truth": draw(st.booleans()),
                "was_cancelled": draw(st.booleans()),
            }
        )
    elif kind == "task":
        key = draw(st.sampled_from(["data", "annotations", "predictions", "id"]))
        tasks[0][key] = draw(VALUES)
    elif kind == "text":
        tasks[0]["data"]["text"] = draw(
            st.sampled_from(["", "\r\n", "\u200b" + ARTICLE.text, ARTICLE.text[:-1]])
        )


@st.composite
def mutated_exports(draw):
    tasks = [task(copy.deepcopy(to_result(DOC)))]
    result = tasks[0]["annotations"][0]["result"]
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=4))
    kinds += draw(st.lists(st.sampled_from(["task", "text"]), max_size=1))  # structure last
    for kind in kinds:
        if kind in ("value", "item", "relation", "span", "drop", "duplicate"):
            if result:
                _mutate_result(draw, kind, result)
        else:
            _mutate_task(draw, kind, tasks, result)
    return tasks


@settings(max_examples=2000, deadline=None)
@given(mutated_exports())
def test_mutated_exports_give_problems_not_crashes(tasks):
    tasks = json.loads(json.dumps(tasks))  # only what JSON can carry
    problems = export_problems(tasks, {"tiny": ARTICLE}, SCHEME)
    assert all(str(p).startswith("doc ") for p in problems)
    # a valid export must give its gold without error or loss (issue 16.3: what validate passes,
    # build neither refuses, as it did two ground truths, nor drops, as it did a cancelled one)
    if not problems:
        documents, missing = gold_documents(tasks)
        marked = [
            a for a in tasks[0]["annotations"] if isinstance(a, dict) and a.get("ground_truth")
        ]
        assert len(documents) == len(marked) <= 1 and missing == ([] if marked else ["tiny"])
        ann = [
            a
            for a in tasks[0]["annotations"]
            if a.get("ground_truth") and not a.get("was_cancelled")
        ]
        if ann:
            (doc,) = documents
            assert len(doc.entities) == sum(r.get("type") == "labels" for r in ann[0]["result"])
            assert len(doc.relations) == sum(r.get("type") == "relation" for r in ann[0]["result"])
            # and the dataset rows keep every mention and relation, or say which does not align
            try:
                rows = article_rows(ARTICLE, doc, SCHEME)
            except AlignmentError as exc:
                assert all(p.startswith("doc tiny entity ") for p in exc.problems)
                return
            (document,) = rows.batch("documents", SCHEME).to_pylist()
            sentences = rows.batch("relations", SCHEME).to_pylist()
            assert len(document["entities"]) == len(doc.entities)
            assert sum(len(r["entities"]) for r in sentences) == len(doc.entities)
            assert sum(len(r["relations"]) for r in sentences) == len(doc.relations)
