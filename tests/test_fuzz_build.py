"""Property-based: `frontline build` on a randomly mutated gold export.

A tiny valid project (two articles, one of them with CRLF line ends, an emoji, combining
marks, zero-width and right-to-left characters) is built once, so there is a previous
release. Then its export file is mutated at random, at the JSON level (shifted, out-of-range
and off-token offsets, changed span text, unknown labels, duplicate and missing ids,
relations to missing regions and across sentences, mentions across a sentence boundary,
wrong types, extra or missing gold, changed texts, Label Studio's UTF-16 offsets) and at
the byte level (truncated, non-UTF-8, a byte order mark, CRLF), and built with the CLI.

Every build must end in one of two ways:

* exit 0, and the corpus holds exactly the gold of the export: every mention and every
  relation of each ground-truth annotation, in all three configs (nothing dropped); or
* exit 1 with a one-line-per-problem ``frontline: error:`` naming the export file or the
  doc, the previous corpus/ byte-identical and no staging folder left beside it.

Examples whose mutations are all harmless must build; an example with a single harmful
mutation must fail with the message that names its problem. So the test fails both on a
crash and on a build that accepts or rejects the wrong thing.

The examples are derandomized (the same every run: CI must not fail on an example no one
can reproduce); set FRONTLINE_FUZZ_EXPLORE=1 to draw new ones.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import shutil
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import REPO
from fixtures import ARTICLE, DOC
from hypothesis import event, given, settings
from hypothesis import strategies as st

from frontline.cli import main
from frontline.core.articles import add_articles, make_article
from frontline.core.documents import Document, Entity, Relation, to_result
from frontline.core.paths import Project
from frontline.core.scheme import load_scheme
from frontline.core.text import parse, sentence_spans
from frontline.gold.exports import dumps

EXPLORE = bool(os.environ.get("FRONTLINE_FUZZ_EXPLORE"))
SCHEME = load_scheme(REPO / "annotation" / "scheme.toml")

MIXED_TEXT = (
    "Israel\u2019s army struck Gaza \U0001f600 overnight.\r\nHamas fighters attacked Sderot.\r\n"
    "\u200bThe cafe\u0301 in Rafah was hit, said  \u202b\u062d\u0645\u0627\u0633\u202c officials."
)
MIXED = make_article(
    MIXED_TEXT,
    id="mixed",
    title="Mixed",
    date="2024-12-02",
    url="https://example.org/m",
    license="CC BY 4.0",
)


def _entity(text: str, needle: str, label: str, rid: str) -> Entity:
    start = text.index(needle)
    return Entity(start, start + len(needle), label, needle, rid)


MIXED_ENTITIES = tuple(
    sorted(
        [
            _entity(MIXED_TEXT, "Israel", "GPE", "m1"),
            _entity(MIXED_TEXT, "army", "GROUP", "m2"),
            _entity(MIXED_TEXT, "Gaza", "GPE", "m3"),
            _entity(MIXED_TEXT, "Hamas", "ORG", "m4"),
            _entity(MIXED_TEXT, "fighters", "GROUP", "m5"),
            _entity(MIXED_TEXT, "Sderot", "GPE", "m6"),
            _entity(MIXED_TEXT, "Rafah", "GPE", "m7"),
            _entity(MIXED_TEXT, "\u202b\u062d\u0645\u0627\u0633\u202c", "ORG", "m8"),
        ]
    )
)
_M = {e.id: i for i, e in enumerate(MIXED_ENTITIES)}
MIXED_DOC = Document(
    "mixed",
    MIXED_TEXT,
    MIXED_ENTITIES,
    (
        Relation(_M["m2"], _M["m1"], "MEMBER_OF"),
        Relation(_M["m2"], _M["m3"], "ATTACKS"),
        Relation(_M["m5"], _M["m4"], "MEMBER_OF"),
        Relation(_M["m5"], _M["m6"], "ATTACKS"),
        Relation(_M["m8"], _M["m7"], "LOCATED_IN"),
    ),
)

ARTICLES = {"tiny": ARTICLE, "mixed": MIXED}
# per text: the non-space tokens and the sentence spans, to aim the mutations
TOKENS = {
    doc_id: [(t.idx, t.idx + len(t)) for t in parse(a.text) if not t.is_space]
    for doc_id, a in ARTICLES.items()
}
SENTENCES = {doc_id: sentence_spans(parse(a.text)) for doc_id, a in ARTICLES.items()}


def base_tasks() -> list[dict]:
    """A valid export: one task per article, each with one ground-truth annotation."""
    tasks = []
    for number, doc in enumerate((DOC, MIXED_DOC)):
        result = to_result(doc)
        if doc is MIXED_DOC:  # one relation drawn right to left, as Label Studio can store it
            rel = next(r for r in result if r.get("labels") == ["ATTACKS"] and r["from_id"] == "m5")
            rel.update(from_id="m6", to_id="m5", direction="left")
        tasks.append(
            {
                "id": 7 + number,
                "data": {"text": doc.text, "doc_id": doc.doc_id},
                "annotations": [
                    {
                        "id": 1 + number,
                        "result": result,
                        "ground_truth": True,
                        "was_cancelled": False,
                        "completed_by": 1,
                    }
                ],
                "predictions": [],
            }
        )
    return tasks


# --- the mutations ----------------------------------------------------------------------
# Each takes (draw, tasks) and changes tasks in place; it returns what must follow:
# VALID (the export stays valid), a keyword the error must contain (or a tuple of keywords,
# one of which it must contain), or None (either way).

VALID = "valid"
JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10**10),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
    st.lists(st.integers(0, 3), max_size=2),
    st.dictionaries(st.sampled_from(["id", "start", "text"]), st.integers(0, 60), max_size=2),
)


def _gold(tasks: list[dict]) -> list[tuple[dict, list]]:
    """(task, result) of each task's first annotation, where the export still has one."""
    found = []
    for t in tasks:
        if not (
            isinstance(t, dict)
            and isinstance(t.get("data"), dict)
            and t["data"].get("doc_id") in ARTICLES
            and isinstance(t["data"].get("text"), str)
        ):
            continue
        anns = t.get("annotations")
        if (
            isinstance(anns, list)
            and anns
            and isinstance(anns[0], dict)
            and isinstance(anns[0].get("result"), list)
        ):
            found.append((t, anns[0]["result"]))
    return found


def _pick_result(draw, tasks):
    found = _gold(tasks)
    return draw(st.sampled_from(found)) if found else (None, None)


def _regions(result):
    return [
        r
        for r in result
        if isinstance(r, dict) and r.get("type") == "labels" and isinstance(r.get("value"), dict)
    ]


def _relations(result):
    return [r for r in result if isinstance(r, dict) and r.get("type") == "relation"]


def _text_of(task) -> str:
    return ARTICLES[task["data"]["doc_id"]].text


def _span(region) -> tuple[int, int] | None:
    value = region["value"]
    start, end = value.get("start"), value.get("end")
    return (start, end) if type(start) is int and type(end) is int else None


def _refers(result, rid) -> bool:
    return any(rid in (r.get("from_id"), r.get("to_id")) for r in _relations(result))


def m_shift(draw, tasks):
    task, result = _pick_result(draw, tasks)
    regions = _regions(result or [])
    if not regions:
        return None
    region = draw(st.sampled_from(regions))
    value = region["value"]
    for key in draw(st.sampled_from([["start"], ["end"], ["start", "end"]])):
        if type(value.get(key)) is int:
            value[key] += draw(st.sampled_from([-3, -2, -1, 1, 2, 3]))
    span, text = _span(region), _text_of(task)
    if draw(st.booleans()) and span and 0 <= span[0] < span[1] <= len(text):
        value["text"] = text[span[0] : span[1]]  # a consistent shift: then only tokens can tell
    return None


def m_out_of_range(draw, tasks):
    task, result = _pick_result(draw, tasks)
    regions = _regions(result or [])
    if not regions:
        return None
    value = draw(st.sampled_from(regions))["value"]
    n = len(_text_of(task))
    start, end = draw(
        st.sampled_from([(-1, 3), (n, n + 2), (n - 2, n + 1), (5, 5), (9, 4), (0, 10**12)])
    )
    value.update(start=start, end=end)
    return "outside the text"


def m_span_text(draw, tasks):
    task, result = _pick_result(draw, tasks)
    regions = [r for r in _regions(result or []) if isinstance(r["value"].get("text"), str)]
    if not regions:
        return None
    value = draw(st.sampled_from(regions))["value"]
    value["text"] = draw(
        st.sampled_from(
            [value["text"].upper() + "x", "", value["text"] + " ", "\u200b" + value["text"]]
        )
    )
    return "value.text"


def m_label(draw, tasks):
    task, result = _pick_result(draw, tasks)
    regions = _regions(result or [])
    if not regions:
        return None
    value = draw(st.sampled_from(regions))["value"]
    if draw(st.booleans()):
        value["labels"] = [draw(st.sampled_from(SCHEME.entity_names))]
        return VALID
    value["labels"] = [draw(st.sampled_from(["COUNTRY", "gpe", "", "PER "]))]
    return "unknown entity label"


def m_relation_label(draw, tasks):
    task, result = _pick_result(draw, tasks)
    rels = _relations(result or [])
    if not rels:
        return None
    draw(st.sampled_from(rels))["labels"] = [draw(st.sampled_from(["HELPS", "supports", ""]))]
    return "unknown relation label"


def m_duplicate_region_id(draw, tasks):
    task, result = _pick_result(draw, tasks)
    regions = _regions(result or [])
    if len(regions) < 2:
        return None
    a, b = draw(st.permutations(regions))[:2]
    b["id"] = a["id"]
    return "duplicate region id"


def m_region_id_type(draw, tasks):
    """A number as region id, the relations pointing at it by its text (as JSON would)."""
    task, result = _pick_result(draw, tasks)
    regions = [r for r in _regions(result or []) if isinstance(r.get("id"), str)]
    if not regions:
        return None
    region, number = draw(st.sampled_from(regions)), draw(st.integers(1, 99))
    for rel in _relations(result):
        for end in ("from_id", "to_id"):
            if rel.get(end) == region["id"]:
                rel[end] = str(number)
    region["id"] = number
    return "region id must be a string"


def m_drop_region(draw, tasks):
    task, result = _pick_result(draw, tasks)
    regions = _regions(result or [])
    if not regions:
        return None
    region = draw(st.sampled_from(regions))
    result.remove(region)
    if draw(st.booleans()):  # and the relations to it: a valid, smaller annotation
        result[:] = [
            r
            for r in result
            if not (
                isinstance(r, dict)
                and r.get("type") == "relation"
                and region.get("id") in (r.get("from_id"), r.get("to_id"))
            )
        ]
    return "missing region" if _refers(result, region.get("id")) else VALID


def m_drop_relation(draw, tasks):
    task, result = _pick_result(draw, tasks)
    rels = _relations(result or [])
    if not rels:
        return None
    result.remove(draw(st.sampled_from(rels)))
    return VALID


def m_relation_to_missing(draw, tasks):
    task, result = _pick_result(draw, tasks)
    rels = _relations(result or [])
    if not rels:
        return None
    rel = draw(st.sampled_from(rels))
    rel[draw(st.sampled_from(["from_id", "to_id"]))] = draw(st.sampled_from(["nope", "E1", ""]))
    return "missing region"


def _sentence(doc_id: str, span: tuple[int, int]) -> int | None:
    for i, (s, e) in enumerate(SENTENCES[doc_id]):
        if s <= span[0] and span[1] <= e:
            return i
    return None


def m_cross_sentence_relation(draw, tasks):
    task, result = _pick_result(draw, tasks)
    if task is None:
        return None
    doc_id = task["data"]["doc_id"]
    regions = [r for r in _regions(result) if _span(r) and isinstance(r.get("id"), str)]
    pairs = [
        (a, b)
        for a in regions
        for b in regions
        if _sentence(doc_id, _span(a)) is not None
        and _sentence(doc_id, _span(b)) is not None
        and _sentence(doc_id, _span(a)) != _sentence(doc_id, _span(b))
    ]
    if not pairs:
        return None
    a, b = draw(st.sampled_from(pairs))
    result.append(
        {
            "type": "relation",
            "from_id": a["id"],
            "to_id": b["id"],
            "direction": "right",
            "labels": [draw(st.sampled_from(SCHEME.relation_names))],
        }
    )
    return "different sentences"


def _clear(result, start: int, end: int) -> None:
    """Remove the regions overlapping [start, end) and every relation to them."""
    gone = {
        r.get("id")
        for r in _regions(result)
        if _span(r) and _span(r)[0] < end and start < _span(r)[1]
    }
    result[:] = [
        r
        for r in result
        if not (
            isinstance(r, dict)
            and (
                (r.get("type") == "labels" and r.get("id") in gone)
                or (
                    r.get("type") == "relation"
                    and (r.get("from_id") in gone or r.get("to_id") in gone)
                )
            )
        )
    ]


def _region(rid: str, text: str, start: int, end: int, label: str) -> dict:
    return {
        "id": rid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]},
    }


def m_mention_across_sentences(draw, tasks):
    task, result = _pick_result(draw, tasks)
    if task is None:
        return None
    doc_id, text = task["data"]["doc_id"], _text_of(task)
    i = draw(st.integers(0, len(SENTENCES[doc_id]) - 2))
    (s0, e0), (s1, e1) = SENTENCES[doc_id][i], SENTENCES[doc_id][i + 1]
    start = draw(st.sampled_from([s for s, e in TOKENS[doc_id] if s0 <= s < e0]))
    end = draw(st.sampled_from([e for s, e in TOKENS[doc_id] if s1 < e <= e1]))
    _clear(result, start, end)
    result.append(_region("across", text, start, end, draw(st.sampled_from(SCHEME.entity_names))))
    return "not inside one sentence"


def m_off_token(draw, tasks):
    """A mention that ends inside a token, text consistent: only the tokenizer can tell."""
    task, result = _pick_result(draw, tasks)
    regions = [
        r
        for r in _regions(result or [])
        if _span(r)
        and _span(r)[1] - _span(r)[0] > 1
        and r["value"].get("text") == _text_of(task)[slice(*_span(r))]
    ]
    if not regions:
        return None
    value = draw(st.sampled_from(regions))["value"]
    value["end"] -= 1
    value["text"] = value["text"][:-1]
    return "token boundaries"


def m_whitespace(draw, tasks):
    """A mention widened over the whitespace next to it (as a double-click selects)."""
    task, result = _pick_result(draw, tasks)
    if task is None:
        return None
    text = _text_of(task)
    options = []
    for r in _regions(result):
        span = _span(r)
        if (
            span
            and 0 <= span[0] < span[1] <= len(text)
            and r["value"].get("text") == text[slice(*span)]
        ):
            if span[1] < len(text) and text[span[1]].isspace():
                options.append((r, span[0], span[1] + 1))
            if span[0] > 0 and text[span[0] - 1].isspace():
                options.append((r, span[0] - 1, span[1]))
    if not options:
        return None
    region, start, end = draw(st.sampled_from(options))
    region["value"].update(start=start, end=end, text=text[start:end])
    return "whitespace"


def m_add_region(draw, tasks):
    """A new mention on a free token: a valid, larger annotation."""
    task, result = _pick_result(draw, tasks)
    if task is None:
        return None
    doc_id, text = task["data"]["doc_id"], _text_of(task)
    taken = [_span(r) for r in _regions(result) if _span(r)]
    free = [(s, e) for s, e in TOKENS[doc_id] if all(e <= a or b <= s for a, b in taken)]
    if not free:
        return None
    start, end = draw(st.sampled_from(free))
    rid = f"n{len(result)}"
    if any(isinstance(r, dict) and r.get("id") == rid for r in result):
        return None
    result.append(_region(rid, text, start, end, draw(st.sampled_from(SCHEME.entity_names))))
    return VALID


def m_flip_direction(draw, tasks):
    task, result = _pick_result(draw, tasks)
    rels = _relations(result or [])
    if not rels:
        return None
    rel = draw(st.sampled_from(rels))
    rel["from_id"], rel["to_id"] = rel.get("to_id"), rel.get("from_id")
    rel["direction"] = "right" if rel.get("direction") == "left" else "left"
    return VALID


def m_duplicate_relation(draw, tasks):
    task, result = _pick_result(draw, tasks)
    rels = _relations(result or [])
    if not rels:
        return None
    rel = copy.deepcopy(draw(st.sampled_from(rels)))
    if draw(st.booleans()):  # the same relation drawn the other way
        rel["from_id"], rel["to_id"] = rel.get("to_id"), rel.get("from_id")
        rel["direction"] = "right" if rel.get("direction") == "left" else "left"
    result.append(rel)
    return "duplicate relation"


def m_shuffle(draw, tasks):
    task, result = _pick_result(draw, tasks)
    if result is None:
        return None
    result[:] = draw(st.permutations(result))
    return VALID


def m_unknown_type(draw, tasks):
    task, result = _pick_result(draw, tasks)
    if result is None:
        return None
    result.append(
        {"id": "c1", "type": draw(st.sampled_from(["choices", "textarea", None])), "value": {}}
    )
    return "unknown result type"


def m_wrong_type(draw, tasks):
    """Any value of any JSON type where the export has a field."""
    task = draw(st.sampled_from(tasks)) if tasks else None
    if task is None:
        return None
    holders = [task, task.get("data")]
    for ann in task.get("annotations") or []:
        if isinstance(ann, dict):
            holders.append(ann)
            for item in ann.get("result") if isinstance(ann.get("result"), list) else []:
                if isinstance(item, dict):
                    holders += [item] + (
                        [item["value"]] if isinstance(item.get("value"), dict) else []
                    )
    holder = draw(st.sampled_from([h for h in holders if isinstance(h, dict) and h]))
    holder[draw(st.sampled_from(sorted(holder)))] = draw(JSON_VALUES)
    return None


def m_prediction(draw, tasks):
    """A model's prediction beside the gold: validated like an annotation, never released."""
    task, result = _pick_result(draw, tasks)
    if task is None:
        return None
    prediction = {"id": 70, "model_version": "lexicon@1", "result": copy.deepcopy(result)}
    task["predictions"] = [prediction]
    regions = _regions(prediction["result"])
    if regions and draw(st.booleans()):
        draw(st.sampled_from(regions))["value"]["labels"] = ["COUNTRY"]
        return "prediction 70 region"
    return VALID


def m_duplicate_task(draw, tasks):
    if not tasks:
        return None
    twin = copy.deepcopy(draw(st.sampled_from(tasks)))
    twin["id"] = 99
    tasks.append(twin)
    return "second task"


def m_drop_task(draw, tasks):
    if not tasks:
        return None
    tasks.remove(draw(st.sampled_from(tasks)))
    return VALID


def m_second_gold(draw, tasks):
    task, result = _pick_result(draw, tasks)
    if task is None:
        return None
    twin = copy.deepcopy(task["annotations"][0])
    twin.update(id=50, ground_truth=True, was_cancelled=False)
    task["annotations"].append(twin)
    return "ground_truth annotations"


def m_gold_flags(draw, tasks):
    task, result = _pick_result(draw, tasks)
    if task is None:
        return None
    ann = task["annotations"][0]
    flag = draw(st.sampled_from(["ground_truth", "was_cancelled"]))
    value = draw(st.sampled_from([True, False, "false", "true", 0, 1, None]))
    ann[flag] = value
    if not isinstance(value, bool):
        return "must be true or false"
    if ann.get("ground_truth") is True and ann.get("was_cancelled") is True:
        return "marked ground_truth but cancelled"
    return VALID


def m_changed_text(draw, tasks):
    task, result = _pick_result(draw, tasks)
    if task is None:
        return None
    text = task["data"]["text"]
    task["data"]["text"] = draw(
        st.sampled_from(
            [
                text.replace("\n", "\r\n"),
                text.replace("\r\n", "\n"),
                "\ufeff" + text,
                text + "\n",
                text[:-1],
                text.replace("a", "\u0430"),
            ]
        )
    )
    return "no longer matches" if task["data"]["text"] != text else VALID


def m_utf16_offsets(draw, tasks):
    """What a UTF-16 counting editor stores after the emoji of the mixed article."""
    task = next((t for t, _ in _gold(tasks) if t["data"]["doc_id"] == "mixed"), None)
    if task is None:
        return None
    cut = MIXED_TEXT.index("\U0001f600") + 1
    regions = [
        r for r in _regions(task["annotations"][0]["result"]) if _span(r) and _span(r)[0] >= cut
    ]
    if not regions:
        return None
    value = draw(st.sampled_from(regions))["value"]
    value["start"] += 1
    value["end"] += 1
    return "UTF-16"


SEMANTIC = [
    m_shift,
    m_out_of_range,
    m_span_text,
    m_label,
    m_relation_label,
    m_duplicate_region_id,
    m_region_id_type,
    m_drop_region,
    m_drop_relation,
    m_relation_to_missing,
    m_cross_sentence_relation,
    m_mention_across_sentences,
    m_off_token,
    m_whitespace,
    m_add_region,
    m_flip_direction,
    m_duplicate_relation,
    m_shuffle,
    m_unknown_type,
    m_wrong_type,
    m_prediction,
    m_duplicate_task,
    m_drop_task,
    m_second_gold,
    m_gold_flags,
    m_changed_text,
    m_utf16_offsets,
    # the harmless ones again, so that more examples must build
    m_add_region,
    m_add_region,
    m_drop_relation,
    m_flip_direction,
    m_shuffle,
    m_label,
]


NOT_JSON = ("not a JSON export", "an export is a JSON list of tasks")  # either message will do


def serialise(draw, tasks) -> tuple[bytes, str | None]:
    """The export file's bytes, maybe damaged; and what must follow from the damage."""
    text = (
        json.dumps(
            tasks,
            ensure_ascii=draw(st.booleans()),
            indent=draw(st.sampled_from([None, 1])),
            sort_keys=True,
        )
        + "\n"
    )
    data = text.encode("utf-8")
    damage = draw(
        st.sampled_from(["none"] * 6 + ["crlf", "truncate", "bad_byte", "bom", "replace"])
    )
    if damage == "crlf":
        return data.replace(b"\n", b"\r\n"), VALID
    if damage == "truncate":
        cut = draw(st.integers(0, len(data) - 1))
        return data[:cut], (VALID if data[:cut].strip() == data.strip() else NOT_JSON)
    if damage == "bad_byte":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(
            st.sampled_from([b"\xff", b"\xc3", b"\x80", b"\xed\xa0\x80"])
        ) + data[at:], NOT_JSON
    if damage == "bom":
        return b"\xef\xbb\xbf" + data, None  # refused or read past: either is fine
    if damage == "replace":
        return draw(
            st.sampled_from([b"", b"{}", b"null", b"[1]", b'"tasks"', b"[{}]", b"[[]]"])
        ), None
    return data, "none"


@st.composite
def mutated_exports(draw):
    tasks = base_tasks()
    mutations = draw(st.lists(st.sampled_from(SEMANTIC), max_size=3))
    expected = [m(draw, tasks) for m in mutations]
    data, damage = serialise(draw, tasks)
    if damage != "none":
        expected.append(damage)
    elif not mutations:
        expected.append(VALID)  # the untouched export
    return data, expected


# --- the project and the checks ------------------------------------------------------------


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Project:
    root = tmp_path_factory.mktemp("fuzz-build")
    for name in (
        "annotation/scheme.toml",
        "annotation/guidelines.md",
        "requirements/constraints.txt",
    ):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, root / name)
    unannotated = make_article(
        "Nothing here.",
        id="zz-unannotated",
        title="Z",
        date="2024-12-03",
        url="https://example.org/z",
        license="CC BY 4.0",
    )
    add_articles(root / "seeds", [ARTICLE, MIXED, unannotated])
    project = Project(root)
    project.exports.mkdir(parents=True)
    project.gold_export.write_text(dumps(base_tasks()), encoding="utf-8")
    code, out, err = run_build(project)
    assert code == 0, err  # the previous release
    return project


def run_build(project: Project) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["--root", str(project.root), "--quiet", "build"])
    return code, out.getvalue(), err.getvalue()


def expected_gold(tasks: list[dict]) -> dict[str, tuple[list, list]]:
    """Per doc id with exactly one gold annotation: its mentions and relations, read from the
    export here (not with the project's own reader), relations by the spans they join."""
    gold = {}
    for task in tasks:
        anns = [
            a
            for a in task.get("annotations", [])
            if a.get("ground_truth") and not a.get("was_cancelled")
        ]
        if len(anns) != 1:
            continue
        result = anns[0]["result"]
        spans = {
            r["id"]: (r["value"]["start"], r["value"]["end"])
            for r in result
            if r["type"] == "labels"
        }
        entities = sorted(
            (r["value"]["start"], r["value"]["end"], r["value"]["labels"][0], r["value"]["text"])
            for r in result
            if r["type"] == "labels"
        )
        relations = []
        for r in result:
            if r["type"] == "relation":
                head, tail = spans[r["from_id"]], spans[r["to_id"]]
                if r.get("direction") == "left":
                    head, tail = tail, head
                relations.append((head, tail, r["labels"][0]))
        gold[task["data"]["doc_id"]] = (entities, sorted(relations))
    return gold


def released(corpus: Path) -> dict[str, dict]:
    """The corpus as plain rows, per config and doc id."""
    rows: dict[str, dict] = {"documents": {}, "ner": {}, "relations": {}}
    doc_of: dict[int, str] = {}  # relations rows name their sentence by the ner row's orig_id
    for config in rows:
        for path in sorted((corpus / config).glob("*.parquet")):
            for row in pq.read_table(path).to_pylist():
                if config == "ner":
                    doc_of[row["orig_id"]] = row["doc_id"]
                key = {"documents": row.get("id"), "ner": row.get("doc_id")}.get(config) or doc_of[
                    row["orig_id"]
                ]
                rows[config].setdefault(key, []).append(row)
    return rows


def check_release(project: Project, data: bytes, err: str) -> None:
    tasks = json.loads(data.decode("utf-8-sig"))
    gold = expected_gold(tasks)
    rows = released(project.corpus)
    names, rel_names = SCHEME.entity_names, SCHEME.relation_names
    assert sorted(rows["documents"]) == sorted(gold)
    for doc_id, (entities, relations) in gold.items():
        (doc,) = rows["documents"][doc_id]
        text = ARTICLES[doc_id].text
        assert doc["text"] == text
        found = [(e["start"], e["end"], names[e["label"]], e["text"]) for e in doc["entities"]]
        assert sorted(found) == entities  # every mention, none dropped or changed
        assert all(text[s:e] == t for s, e, _, t in found)
        spans = [(e["start"], e["end"]) for e in doc["entities"]]
        assert (
            sorted(
                (spans[r["head"]], spans[r["tail"]], rel_names[r["label"]])
                for r in doc["relations"]
            )
            == relations
        )  # every relation, the right way round
        sentences = rows["relations"][doc_id]
        assert sum(len(s["entities"]) for s in sentences) == len(entities)
        assert sum(len(s["relations"]) for s in sentences) == len(relations)
        tag_names = SCHEME.iob2_tags()
        assert sum(
            tag_names[t].startswith("B-") for s in rows["ner"][doc_id] for t in s["ner_tags"]
        ) == len(entities)
    for doc_id in sorted((set(ARTICLES) | {"zz-unannotated"}) - set(gold)):
        assert f"not released (no gold yet): {doc_id}" in err


def check_refusal(project: Project, before: dict[str, bytes], code: int, err: str) -> None:
    assert code == 1, err
    assert err.startswith("frontline: error: "), err
    assert "Traceback" not in err
    assert str(project.gold_export) in err or re.search(r"\bdoc [\w-]+", err), (
        err
    )  # names the problem's place
    assert files_of(project.corpus) == before  # the previous release, untouched


def no_staging_left(project: Project) -> bool:
    return not [p.name for p in project.root.iterdir() if p.name.startswith(".corpus")]


@settings(max_examples=300, deadline=None, derandomize=not EXPLORE)
@given(mutated_exports())
def test_mutated_export_builds_losslessly_or_fails_cleanly(project, example):
    data, expected = example
    project.gold_export.write_bytes(data)
    before = files_of(project.corpus)
    code, out, err = run_build(project)
    assert no_staging_left(project)
    event(f"exit {code}")
    if code == 0:
        check_release(project, data, err)
    else:
        check_refusal(project, before, code, err)
    if expected and all(e == VALID for e in expected):
        if expected_gold(json.loads(data.decode("utf-8-sig"))):
            assert code == 0, f"a valid export was refused: {err}"
        else:  # no gold at all: an empty release, or refused as nothing to release
            assert code == 0 or "ground_truth" in err, err
    elif len(expected) == 1 and expected[0] not in (None, VALID):
        keywords = expected[0] if isinstance(expected[0], tuple) else (expected[0],)
        assert code == 1 and any(k in err for k in keywords), (expected, err)


def test_a_valid_export_with_crlf_and_astral_characters_builds(project):
    """The base of the fuzzing builds and keeps everything (not just 'some example did')."""
    data = dumps(base_tasks()).encode("utf-8")
    project.gold_export.write_bytes(data)
    code, out, err = run_build(project)
    assert code == 0, err
    check_release(project, data, err)
    assert "built " in out


def _minimal(change: str) -> list[dict]:
    """The base export with one of the changes that the fuzzing found mishandled before."""
    tasks = base_tasks()
    tiny, mixed = tasks[0]["annotations"][0], tasks[1]["annotations"][0]
    if change == "number id":  # KeyError in documents.from_result
        tiny["result"][0]["id"] = 1
        tiny["result"][5]["from_id"] = "1"
    elif (
        change == "space token"
    ):  # KeyError in dataset.article_rows (a whitespace token has no row position)
        region = next(r for r in mixed["result"] if r.get("id") == "m8")
        start = region["value"]["start"] - 1
        region["value"].update(start=start, text=MIXED_TEXT[start : region["value"]["end"]])
    elif change == "across":  # silently left out of the relations config
        tiny["result"] = [
            r
            for r in tiny["result"]
            if r.get("id") != "e4" and not {"e3", "e4"} & {r.get("from_id"), r.get("to_id")}
        ]
        tiny["result"][2]["value"].update(start=29, end=42, text=ARTICLE.text[29:42])
    elif change == "both ways":  # the same relation twice in the dataset
        tiny["result"].append(
            {
                "type": "relation",
                "from_id": "e2",
                "to_id": "e1",
                "direction": "left",
                "labels": ["SUPPORTS"],
            }
        )
    elif change == "gold flag":  # "false" taken as true
        tiny["ground_truth"] = "false"
    elif change == "utf16":  # the offsets of a JavaScript editor: a plain text mismatch before
        region = next(r for r in mixed["result"] if r.get("id") == "m4")
        region["value"].update(start=region["value"]["start"] + 1, end=region["value"]["end"] + 1)
    return tasks


@pytest.mark.parametrize(
    "change, message",
    [
        ("number id", "region 1: region id must be a string, not 1"),
        (
            "space token",
            "region m8: mention ' \\u202b\u062d\u0645\u0627\u0633\\u202c' starts or ends with "
            "whitespace",
        ),
        (
            "across",
            "region e3: mention [29:42] 'Syria. Rebels' is not inside one sentence: it crosses "
            "the end of "
            "sentence 0 at offset 35",
        ),
        ("both ways", "region e2->e1: duplicate relation SUPPORTS e1->e2"),
        (
            "gold flag",
            "doc tiny task 7 annotation 1: ground_truth must be true or false, not 'false'",
        ),
        (
            "utf16",
            "these offsets count UTF-16 code units (as JavaScript does), not code points: the "
            "text has 1 "
            "character(s) outside the BMP (such as emoji) before the mention",
        ),
    ],
)
def test_minimal_cases_found_by_fuzzing(project, change, message):
    project.gold_export.write_text(json.dumps(_minimal(change)), encoding="utf-8")
    before = files_of(project.corpus)
    code, out, err = run_build(project)
    check_refusal(project, before, code, err)
    assert message in err


@pytest.mark.parametrize("key", ["annotations", "predictions"])
def test_null_annotations_or_predictions_are_a_clear_error(project, key):
    """Found by the fuzzing: the streaming build counted annotators before validating
    (TypeError)."""
    tasks = base_tasks()
    tasks[0][key] = None
    project.gold_export.write_text(json.dumps(tasks), encoding="utf-8")
    before = files_of(project.corpus)
    code, out, err = run_build(project)
    check_refusal(project, before, code, err)
    assert f"doc tiny task 7 task: {key} must be a list" in err


def test_export_without_gold_is_an_empty_release_or_a_clear_error(project):
    """Found by the fuzzing: the card was written into a folder that only the parquet writer
    makes."""
    project.gold_export.write_text("[]\n", encoding="utf-8")
    before = files_of(project.corpus)
    code, out, err = run_build(project)
    assert no_staging_left(project)
    check_refusal(project, before, code, err)
    assert "no task has a ground_truth annotation: nothing to release" in err


# --- deep nesting, found by the fuzzing (run under a memory limit: it once took tens of GB) ----

_LIMITED_BUILD = """
import resource, sys
# a MemoryError, not the OOM killer
resource.setrlimit(resource.RLIMIT_AS, (3 * 1024**3, 3 * 1024**3))
from frontline.cli import main
sys.exit(main(["--root", sys.argv[1], "--quiet", sys.argv[2]]))
"""


def run_limited(project: Project, step: str) -> tuple[int, str]:
    """``frontline STEP`` in a child process limited to 3 GB, so that runaway memory is a
    MemoryError there instead of the OOM killer here."""
    proc = subprocess.run(
        [sys.executable, "-c", _LIMITED_BUILD, str(project.root), step],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return proc.returncode, proc.stderr


def test_deeply_nested_export_is_a_clear_error_in_build(project):
    """Once a streaming parser's path strings grew with the square of the depth (tens of GB)."""
    project.gold_export.write_bytes(b"[" * 100_000)
    before = files_of(project.corpus)
    code, err = run_limited(project, "build")
    check_refusal(project, before, code, err)
    assert "not a JSON export: task 1 is nested too deeply" in err


def test_deeply_nested_export_is_a_clear_error_in_validate(project):
    """``json.loads`` raises RecursionError on deep nesting: reported, not a traceback."""
    project.gold_export.write_bytes(b"[" * 100_000)
    before = files_of(project.corpus)
    code, err = run_limited(project, "validate")
    check_refusal(project, before, code, err)
    assert "not a JSON export: task 1 is nested too deeply" in err  # the same reader as build
