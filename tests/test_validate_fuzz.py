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


@st.composite
def mutated_exports(draw):
    tasks = [task(copy.deepcopy(to_result(DOC)))]
    result = tasks[0]["annotations"][0]["result"]
    kinds = draw(
        st.lists(
            st.sampled_from(
                [
                    "value",
                    "item",
                    "relation",
                    "drop",
                    "duplicate",
                    "span",
                    "annotation",
                    "flags",
                    "second",
                ]
            ),
            min_size=1,
            max_size=4,
        )
    )
    kinds += draw(st.lists(st.sampled_from(["task", "text"]), max_size=1))  # structure last
    for kind in kinds:
        if kind == "value" and result:
            item = draw(st.sampled_from(result))
            if isinstance(item.get("value"), dict):
                item["value"][draw(st.sampled_from(["start", "end", "text", "labels"]))] = draw(
                    VALUES
                )
        elif kind == "item" and result:
            item = draw(st.sampled_from(result))
            item[draw(st.sampled_from(["id", "type", "from_name", "to_name", "value"]))] = draw(
                VALUES
            )
        elif kind == "relation" and result:
            item = draw(st.sampled_from(result))
            item.update(
                {
                    "type": "relation",
                    draw(st.sampled_from(["from_id", "to_id", "labels", "direction"])): draw(
                        VALUES
                    ),
                }
            )
        elif (
            kind == "span" and result
        ):  # new offsets and the text to match: maybe across sentences or spaces
            item = draw(st.sampled_from(result))
            if isinstance(item.get("value"), dict):
                start = draw(st.sampled_from([s for s, _ in TOKENS] + [e for _, e in TOKENS[:-1]]))
                end = draw(
                    st.sampled_from([e for _, e in TOKENS if start < e <= start + 25] + [start + 1])
                )
                item["value"].update(start=start, end=end, text=ARTICLE.text[start:end])
                others = [
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
                if draw(
                    st.booleans()
                ):  # make room: drop the mentions it overlaps, and their relations
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
        elif kind == "annotation":
            annotation = tasks[0]["annotations"][0]
            annotation[draw(st.sampled_from(["ground_truth", "was_cancelled", "id", "result"]))] = (
                draw(VALUES)
            )
        elif (
            kind == "flags"
        ):  # the flags that decide the gold, as booleans (what validation lets through)
            tasks[0]["annotations"][-1][
                draw(st.sampled_from(["ground_truth", "was_cancelled"]))
            ] = draw(st.booleans())
        elif (
            kind == "second"
        ):  # another annotator's annotation, maybe also marked gold, maybe cancelled
            tasks[0]["annotations"].append(
                {
                    "id": 90 + len(tasks[0]["annotations"]),
                    "result": copy.deepcopy(result),
                    "ground_truth": draw(st.booleans()),
                    "was_cancelled": draw(st.booleans()),
                }
            )
        elif kind == "drop" and result:
            del result[draw(st.integers(0, len(result) - 1))]
        elif kind == "duplicate" and result:
            result.append(copy.deepcopy(draw(st.sampled_from(result))))
        elif kind == "task":
            tasks[0][draw(st.sampled_from(["data", "annotations", "predictions", "id"]))] = draw(
                VALUES
            )
        elif kind == "text":
            tasks[0]["data"]["text"] = draw(
                st.sampled_from(["", "\r\n", "\u200b" + ARTICLE.text, ARTICLE.text[:-1]])
            )
    return tasks


@settings(max_examples=2000, deadline=None)
@given(mutated_exports())
def test_mutated_exports_give_problems_not_crashes(tasks):
    tasks = json.loads(json.dumps(tasks))  # only what JSON can carry
    problems = export_problems(tasks, {"tiny": ARTICLE}, SCHEME)
    assert all(str(p).startswith("doc ") for p in problems)
    if (
        not problems
    ):  # a valid export must give its gold without error or loss (issue 16.3: what validate
        # passes, build neither refuses, as it did two ground truths, nor drops, as it did a cancelled one)
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
            try:  # and the dataset rows keep every mention and relation, or say which does not align
                rows = article_rows(ARTICLE, doc, SCHEME)
            except AlignmentError as exc:
                assert all(p.startswith("doc tiny entity ") for p in exc.problems)
                return
            (document,) = rows.batch("documents", SCHEME).to_pylist()
            sentences = rows.batch("relations", SCHEME).to_pylist()
            assert len(document["entities"]) == len(doc.entities)
            assert sum(len(r["entities"]) for r in sentences) == len(doc.entities)
            assert sum(len(r["relations"]) for r in sentences) == len(doc.relations)
