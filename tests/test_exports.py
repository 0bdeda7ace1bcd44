import copy
import json
import sys

import pytest
from fixtures import ARTICLE, DOC, task
from hypothesis import given, settings
from hypothesis import strategies as st

from frontline.core.documents import to_result
from frontline.core.scheme import load_scheme
from frontline.gold.exports import (
    ExportError,
    Part,
    dumps,
    export_parts,
    gold_documents,
    iter_export,
    losses,
    no_gold_message,
    read_export,
    read_valid_export,
    write_export,
)
from frontline.gold.validate import ExportInvalid


def test_dumps_is_sorted_and_drops_created_ago():
    a = task([], annotation_id=2)
    a["annotations"].insert(0, {"id": 1, "result": [], "created_ago": "3 minutes"})
    b = {**task([]), "id": 3, "data": {"text": "x", "doc_id": "alpha"}}
    text = dumps([a, b])
    tasks = json.loads(text)
    assert [t["data"]["doc_id"] for t in tasks] == ["alpha", "tiny"]
    assert [x["id"] for x in tasks[1]["annotations"]] == [1, 2]
    assert "created_ago" not in text
    assert dumps([b, a]) == text


def test_write_refuses_to_lose_annotations_unless_forced(tmp_path):
    path = tmp_path / "gold.json"
    assert write_export(path, [task([])]) is True
    assert write_export(path, [task([])]) is False  # identical: untouched
    before = path.read_bytes()
    with pytest.raises(
        ExportError, match="doc tiny: 1 annotation\\(s\\) committed, 0 in the new export"
    ):
        write_export(path, [{**task([]), "annotations": []}])
    assert path.read_bytes() == before
    with pytest.raises(ExportError, match="no ground truth left .* pass --force --allow-empty"):
        write_export(path, [{**task([]), "annotations": []}], force=True)
    assert path.read_bytes() == before
    assert (
        write_export(path, [{**task([]), "annotations": []}], force=True, allow_empty=True) is True
    )


def test_losses_names_missing_tasks():
    assert losses([task(to_result(DOC))], []) == [
        "doc tiny: task missing from the new export (committed: 1 annotation(s), 5 region(s), 3 "
        "relation(s), "
        "1 ground truth(s))"
    ]


def annotated(
    result, who="a@frontline.local", *, ground_truth=True, annotation_id=1, was_cancelled=False
):
    return {
        "id": annotation_id,
        "result": copy.deepcopy(result),
        "ground_truth": ground_truth,
        "was_cancelled": was_cancelled,
        "completed_by": {"id": 2, "email": who},
    }


def with_annotations(*annotations, doc_id="tiny"):
    return {**task([], doc_id=doc_id), "annotations": list(annotations)}


def test_losses_count_regions_relations_and_ground_truths_not_just_annotations():
    """Issue 16.2: as many EMPTY annotations as the committed ones lost everything unnoticed."""
    old = [
        with_annotations(
            annotated(to_result(DOC)),
            annotated(to_result(DOC)[:2], "b@frontline.local", ground_truth=False, annotation_id=2),
        )
    ]
    emptied = [
        with_annotations(
            annotated([], ground_truth=False),
            annotated([], "b@frontline.local", ground_truth=False, annotation_id=2),
        )
    ]
    assert losses(old, emptied) == [
        "doc tiny: 1 ground truth(s) committed, 0 in the new export",
        "doc tiny annotator a@frontline.local: 5 region(s) committed, 0 in the new export",
        "doc tiny annotator a@frontline.local: 3 relation(s) committed, 0 in the new export",
        "doc tiny annotator b@frontline.local: 2 region(s) committed, 0 in the new export",
    ]


def test_losses_ignore_what_is_not_lost():
    old = [
        with_annotations(
            annotated(to_result(DOC)),
            annotated(to_result(DOC)[:2], "b@frontline.local", ground_truth=False, annotation_id=2),
        )
    ]
    assert losses(old, old) == []
    relabelled = copy.deepcopy(old)
    relabelled[0]["annotations"][0]["result"][0]["value"]["labels"] = [
        "NORP"
    ]  # an edit, not a loss
    assert losses(old, relabelled) == []
    moved = copy.deepcopy(old)  # adjudication moves the ground truth to another annotator
    moved[0]["annotations"][0]["ground_truth"], moved[0]["annotations"][1]["ground_truth"] = (
        False,
        True,
    )
    assert losses(old, moved) == []
    more = copy.deepcopy(old) + [
        with_annotations(annotated([]), doc_id="other")
    ]  # new work is no loss
    more[0]["annotations"].append(
        annotated(to_result(DOC), "c@frontline.local", ground_truth=False, annotation_id=3)
    )
    assert losses(old, more) == []


def test_losses_per_annotator_and_cancelled_ground_truth():
    old = [
        with_annotations(
            annotated(to_result(DOC)),
            annotated(to_result(DOC), "b@frontline.local", ground_truth=False, annotation_id=2),
        )
    ]
    swapped = [
        with_annotations(
            annotated(to_result(DOC)[:5]),  # a's relations gone, b's annotation gone, c's new
            annotated(to_result(DOC), "c@frontline.local", ground_truth=False, annotation_id=3),
        )
    ]
    assert losses(old, swapped) == [
        "doc tiny annotator a@frontline.local: 3 relation(s) committed, 0 in the new export",
        "doc tiny annotator b@frontline.local: 5 region(s) committed, 0 in the new export",
        "doc tiny annotator b@frontline.local: 3 relation(s) committed, 0 in the new export",
    ]
    cancelled = copy.deepcopy(old)
    cancelled[0]["annotations"][0]["was_cancelled"] = True  # no longer gold
    assert losses(old, cancelled) == ["doc tiny: 1 ground truth(s) committed, 0 in the new export"]
    fewer = [with_annotations(annotated(to_result(DOC)))]
    assert losses(old, fewer)[0] == "doc tiny: 2 annotation(s) committed, 1 in the new export"


def test_losses_of_malformed_tasks_do_not_crash():
    assert losses([42, {"data": None}, {"data": {"doc_id": "x"}, "annotations": None}], [[]]) == [
        "doc x: task missing from the new export (committed: 0 annotation(s), 0 region(s), 0 "
        "relation(s), "
        "0 ground truth(s))"
    ]  # a task gone is reported even when empty: maybe the wrong project


def test_write_refuses_emptied_annotations_and_force_keeps_the_last_ground_truth(tmp_path):
    path = tmp_path / "gold.json"
    committed = [with_annotations(annotated(to_result(DOC)))]
    write_export(path, committed)
    before = path.read_bytes()
    emptied = [with_annotations(annotated([], ground_truth=False))]
    with pytest.raises(ExportError) as err:
        write_export(path, emptied)
    assert str(err.value) == (
        f"{path}: the new export would lose 5 region(s), 3 relation(s) and 1 ground truth(s) in 1 "
        "task(s) "
        "(use --force to replace it anyway):\n"
        "  - doc tiny: 1 ground truth(s) committed, 0 in the new export\n"
        "  - doc tiny annotator a@frontline.local: 5 region(s) committed, 0 in the new export\n"
        "  - doc tiny annotator a@frontline.local: 3 relation(s) committed, 0 in the new export"
    )
    assert path.read_bytes() == before
    warned = []
    with pytest.raises(ExportError) as err:  # forced, but it would drop every ground truth
        write_export(path, emptied, force=True, warn=warned.append)
    assert str(err.value).startswith(
        f"{path}: the new export would lose 5 region(s), 3 relation(s) and 1 ground truth(s) in 1 "
        "task(s), "
        "and it has no ground truth left (the committed one has 1): refused even with --force; "
        "pass --force --allow-empty to write it anyway:\n  - doc tiny: 1 ground truth(s) committed"
    )
    assert path.read_bytes() == before and warned == []
    with pytest.raises(ExportError):  # told once is not enough
        write_export(path, emptied, allow_empty=True)
    assert write_export(path, emptied, force=True, allow_empty=True, warn=warned.append) is True
    assert warned == [
        f"{path}: the new export loses 5 region(s), 3 relation(s) and 1 ground truth(s) in 1 "
        "task(s); "
        "written anyway (--force):\n"
        "  - doc tiny: 1 ground truth(s) committed, 0 in the new export\n"
        "  - doc tiny annotator a@frontline.local: 5 region(s) committed, 0 in the new export\n"
        "  - doc tiny annotator a@frontline.local: 3 relation(s) committed, 0 in the new export"
    ]


def test_forced_write_that_keeps_some_ground_truth_warns_and_writes(tmp_path):
    path = tmp_path / "gold.json"
    write_export(path, [with_annotations(annotated(to_result(DOC)))])
    smaller = [with_annotations(annotated(to_result(DOC)[:5]))]
    warned = []
    assert write_export(path, smaller, force=True, warn=warned.append) is True
    assert warned == [
        f"{path}: the new export loses 3 relation(s) in 1 task(s); written anyway (--force):\n"
        "  - doc tiny annotator a@frontline.local: 3 relation(s) committed, 0 in the new export"
    ]
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(dumps(smaller))


def test_gold_documents_take_the_ground_truth(repo):
    t = task(to_result(DOC))
    t["annotations"].append({"id": 9, "result": [], "ground_truth": False, "was_cancelled": False})
    docs, missing = gold_documents([t, task([], ground_truth=False, doc_id="other")])
    assert docs == [DOC] and missing == ["other"]


def test_two_ground_truths_must_be_adjudicated():
    t = task(to_result(DOC))
    t["annotations"].append({"id": 9, "result": [], "ground_truth": True, "was_cancelled": False})
    with pytest.raises(ExportError, match="doc tiny task 7: 2 ground_truth annotations \\(1, 9\\)"):
        gold_documents([t])


def test_read_export_errors_name_the_file(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[{"truncated": ')
    with pytest.raises(ExportError, match=f"{path}: not a JSON export"):
        read_export(path)
    path.write_text('{"a": 1}')
    with pytest.raises(ExportError, match="an export is a JSON list of tasks, not '{'..."):
        read_export(path)
    with pytest.raises(ExportError, match=f"{tmp_path}: is a folder, not an export"):
        read_export(tmp_path)


def test_read_valid_export_refuses_invalid_files_whole(tmp_path, repo):
    bad = to_result(DOC)
    bad[0]["value"]["labels"] = ["X"]
    path = tmp_path / "e.json"
    path.write_text(dumps([task(bad)]))
    with pytest.raises(ExportInvalid) as err:
        read_valid_export(path, [ARTICLE], load_scheme(repo.scheme))
    assert err.value.problems == [
        f"{path}: doc tiny task 7 annotation 1 region e1: unknown entity label 'X'"
    ]


@pytest.mark.parametrize(
    "content, message",
    [
        (
            b'[{"id": 1}, {"id": 2',
            "not a JSON export: task 2: Expecting ',' delimiter at character 20",
        ),
        (b'[{"id": "\xff"}]', "not a JSON export: not UTF-8 (invalid start byte near byte 9)"),
        (b'[{"id": 1}] trailing', "not a JSON export: text after the list of tasks"),
        (
            b'[{"id": 1} {"id": 2}]',
            "not a JSON export: after task 1, expected ',' or ']', found '{'",
        ),
        (b'[{"id": 1},]', "not a JSON export: task 2: Expecting value at character 11"),
        (b'{"id": 1}', "an export is a JSON list of tasks, not '{'..."),
        (b"", "an export is a JSON list of tasks, not empty file"),
        (b"\xef\xbb\xbf[]", "not a JSON export: it starts with a byte order mark"),
        (b"[" * 100_000, "not a JSON export: task 1 is nested too deeply"),
    ],
)
def test_streamed_export_errors_name_the_file(tmp_path, content, message):
    path = tmp_path / "gold.json"
    path.write_bytes(content)
    with pytest.raises(ExportError) as err:
        list(iter_export(path))
    assert str(err.value) == f"{path}: {message}"


def test_streamed_export_gives_the_tasks_as_json_does(tmp_path):
    path = tmp_path / "gold.json"
    tasks = [task(to_result(DOC)), {**task([]), "id": 8, "lead_time": 12.5}]
    path.write_text(dumps(tasks), encoding="utf-8")
    assert list(iter_export(path)) == json.loads(path.read_text(encoding="utf-8"))
    with pytest.raises(ExportError, match="no such export"):
        list(iter_export(tmp_path / "missing.json"))


@given(
    st.lists(
        st.one_of(
            st.integers(),
            st.floats(allow_nan=False, allow_infinity=False),  # NaN, Infinity: not JSON
            st.text(max_size=6),
            st.dictionaries(st.text(max_size=3), st.lists(st.integers(), max_size=3), max_size=3),
        ),
        max_size=6,
    ),
    st.integers(1, 7),
    st.sampled_from(["", " ", "\n  "]),
)
@settings(max_examples=300, deadline=None)
def test_streamed_export_is_json_whatever_the_chunk_boundaries(
    tmp_path_factory, items, chunk, space
):
    """Values split across chunks (numbers, multi-byte characters) decode as ``json`` does."""
    import frontline.gold.exports as exports

    path = tmp_path_factory.mktemp("chunks") / "export.json"
    path.write_text(
        space + json.dumps(items, ensure_ascii=False).replace(", ", "," + space) + space,
        encoding="utf-8",
    )
    before, exports.CHUNK_BYTES = exports.CHUNK_BYTES, chunk
    try:
        assert list(iter_export(path)) == items
    finally:
        exports.CHUNK_BYTES = before


_TASKS = st.lists(
    st.fixed_dictionaries(
        {"id": st.integers(0, 9)},
        optional={
            "data": st.dictionaries(
                st.text(max_size=3),
                st.one_of(
                    st.text(max_size=6),
                    st.lists(st.fixed_dictionaries({"x": st.integers(0, 9)}), max_size=3),
                ),
                max_size=3,
            )
        },
    ),
    max_size=12,
)
_LAYOUTS = {  # how an export may be written, and what stands between two of its tasks
    "dumps": (lambda tasks: json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", ",\n "),
    "lines": (
        lambda tasks: (
            "[" + ",".join("\n" + json.dumps(t, ensure_ascii=False) for t in tasks) + "\n]\n"
        ),
        ",\n",
    ),
    "compact": (lambda tasks: json.dumps(tasks, ensure_ascii=False), None),
}


@given(_TASKS, st.sampled_from(sorted(_LAYOUTS)), st.integers(1, 150))
@settings(max_examples=300, deadline=None)
def test_export_parts_hold_whole_tasks_in_order(tmp_path_factory, tasks, layout, size):
    """Parts cut at the first boundary at least ``size`` bytes after the part's start,
    and hold whole tasks: together, every task in order (strings with "{", "," and line
    breaks, nested objects and multi-byte characters do not fool the cut)."""
    write, between = _LAYOUTS[layout]
    text = write(tasks).encode("utf-8")
    path = tmp_path_factory.mktemp("parts") / "export.json"
    path.write_bytes(text)
    parts = export_parts(path, size)
    assert [task for part in parts for task in iter_export(path, part)] == tasks
    if between is None or len(text) <= size:
        assert parts == [Part(0, None)]
        return
    commas = [
        i for i in range(len(text)) if text.startswith(between.encode() + b"{", i)
    ]  # after tasks 1..n-1
    expected = [0]
    for comma in commas:
        if comma >= expected[-1] + size:
            expected.append(comma + len(between))
    assert [part.start for part in parts] == expected
    assert [part.end for part in parts] == [start - len(between) for start in expected[1:]] + [None]


def test_a_file_indented_unevenly_can_fool_the_cut_but_not_the_reading(tmp_path):
    path = tmp_path / "export.json"
    path.write_text('[\n {"id": 1, "x": [0,\n {"y": 2}]},\n {"id": 3}\n]\n', encoding="utf-8")
    parts = export_parts(path, 1)
    assert len(parts) == 3  # {"y": 2} looks like a task
    for part in parts[:2]:  # neither part's brackets balance
        with pytest.raises(ExportError, match="not a JSON export"):
            list(iter_export(path, part))
    assert list(iter_export(path, parts[2])) == [{"id": 3}]
    assert list(iter_export(path, Part(0, None))) == [{"id": 1, "x": [0, {"y": 2}]}, {"id": 3}]


def test_a_missing_or_tiny_export_is_one_part(tmp_path):
    assert export_parts(tmp_path / "missing.json", 1) == [Part(0, None)]
    (tmp_path / "small.json").write_text('[\n {"id": 1},\n {"id": 2}\n]', encoding="utf-8")
    assert export_parts(tmp_path / "small.json", 100) == [Part(0, None)]
    assert export_parts(tmp_path / "small.json", 1) == [
        Part(0, 12),
        Part(15, None),
    ]  # bytes 12-14: ',\n '
    with pytest.raises(ExportError, match="no such export"):
        list(iter_export(tmp_path / "missing.json", Part(0, None)))


DUPLICATE_GOLD = (
    b'[\n {"id": 7, "data": {"doc_id": "tiny", "text": "x"},\n  "annotations": [{"id": 1, '
    b'"result": [],'
    b' "ground_truth": true, "ground_truth": false}]}\n]\n'
)


def test_duplicate_keys_are_an_error_wherever_the_export_is_read(tmp_path):
    """Issue 16.3: the last value won, so build silently dropped the article."""
    path = tmp_path / "gold.json"
    path.write_bytes(DUPLICATE_GOLD)
    message = (
        f"{path}: task 1 (doc tiny, task id 7): key 'ground_truth' twice in annotations[0]; JSON "
        "readers "
        "disagree on which value counts: keep one"
    )
    for read in (
        read_export,
        lambda p: list(iter_export(p)),
        lambda p: list(iter_export(p, Part(0, None))),
    ):
        with pytest.raises(ExportError) as err:
            read(path)
        assert str(err.value) == message
    path.write_bytes(b'[{"id": 1, "data": {"doc_id": "a"}},\n {"id": 2, "id": 3}]')
    with pytest.raises(ExportError, match="task 2 \\(task id 3\\): key 'id' twice in the task;"):
        read_export(path)


def test_duplicate_keys_in_a_part_are_found_too(tmp_path):
    path = tmp_path / "gold.json"
    tasks = [task([]), {**task([], doc_id="other"), "id": 8}]
    text = dumps(tasks).replace(
        '"doc_id": "tiny"', '"doc_id": "tiny", "doc_id": "again"'
    )  # the second task
    path.write_text(text, encoding="utf-8")
    parts = export_parts(path, 10)
    assert len(parts) == 2
    assert list(iter_export(path, parts[0])) == [json.loads(text)[0]]
    with pytest.raises(
        ExportError, match=f"{path}: task 1 \\(doc again, task id 7\\): key 'doc_id' twice in data;"
    ):
        list(iter_export(path, parts[1]))  # counted from the part's start, as its other errors are
    with pytest.raises(
        ExportError, match=f"{path}: task 2 \\(doc again, task id 7\\): key 'doc_id' twice in data;"
    ):
        list(iter_export(path))


def test_nested_duplicate_keys_name_the_object(tmp_path):
    path = tmp_path / "gold.json"
    t = task(to_result(DOC))
    text = json.dumps([t]).replace('"start": 11', '"start": 11, "start": 12')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        ExportError, match="key 'start' twice in annotations\\[0\\].result\\[1\\].value;"
    ):
        read_export(path)


@pytest.mark.parametrize("chunk", [None, 7])
def test_integers_too_long_for_python_are_a_clear_error(tmp_path, chunk):
    """Issue 16.11: json raised ValueError (Python's limit on int-from-str digits)."""
    import frontline.gold.exports as exports

    limit = sys.get_int_max_str_digits()
    path = tmp_path / "gold.json"
    head = '[{"id": 1, "data": {"doc_id": "a", "text": "1234"}},\n {"id": 2, "data": {"n": '
    path.write_text(head + "9" * (limit + 1) + "}}]", encoding="utf-8")
    message = (
        f"{path}: task 2: an integer of {limit + 1:,} digits at character {len(head)}, more than "
        "the "
        f"{limit:,} digits Python reads"
    )
    before, exports.CHUNK_BYTES = exports.CHUNK_BYTES, chunk or exports.CHUNK_BYTES
    try:
        for read in (read_export, lambda p: list(iter_export(p))):
            with pytest.raises(ExportError) as err:
                read(path)
            assert str(err.value) == message
    finally:
        exports.CHUNK_BYTES = before
    digits_in_a_string = head + '"' + "9" * (limit + 1) + '", "m": ' + "9" * limit + "}}]"
    path.write_text(digits_in_a_string, encoding="utf-8")
    assert read_export(path)[1]["data"]["m"] == int("9" * limit)
    path.write_text(head + "9" * (limit + 1) + ".5}}]", encoding="utf-8")  # a float: no limit
    assert read_export(path)[1]["data"]["n"] == float("9" * (limit + 1) + ".5")


@pytest.mark.parametrize("tail", [".5", "e5", "E+5", "e-5"])
@pytest.mark.parametrize("cut", range(4))
def test_a_long_float_cut_by_a_chunk_boundary_is_read(tmp_path, tail, cut):
    """The decoder sees "999...9." at the end of a chunk as an integer too long for Python:
    reading on finds the float it is."""
    import frontline.gold.exports as exports

    limit = sys.get_int_max_str_digits()
    head = '[{"n": '
    path = tmp_path / "gold.json"
    path.write_text(head + "9" * (limit + 1) + tail + "}]", encoding="utf-8")
    before, exports.CHUNK_BYTES = exports.CHUNK_BYTES, len(head) + limit + 1 + cut
    try:
        assert list(iter_export(path)) == [{"n": float("9" * (limit + 1) + tail)}]
    finally:
        exports.CHUNK_BYTES = before


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(tmp_path, constant):
    """Python's json reads and writes them; JSON has none, and other readers refuse them."""
    path = tmp_path / "gold.json"
    path.write_text(f'[{{"id": 1}},\n {{"id": 2, "lead_time": {constant}}}]', encoding="utf-8")
    with pytest.raises(ExportError) as err:
        read_export(path)
    assert str(err.value) == (
        f"{path}: not a JSON export: task 2: {constant} is not JSON (Python writes it for a float "
        "that is infinite or not a number; other JSON readers refuse it)"
    )


def test_numbers_come_back_as_json_gives_them(tmp_path):
    """ijson gives a number with a fraction or an exponent as a Decimal: the reader makes it
    the float json makes, and an integer of any length Python reads stays an int."""
    path = tmp_path / "gold.json"
    text = (
        '[{"a": [0.1, 1.0, -0.0, 1e5, 2.5E-3, 1E400, 5e-324, 123456789012345678901234567890, -0]}]'
    )
    path.write_text(text, encoding="utf-8")
    got, expected = read_export(path)[0]["a"], json.loads(text)[0]["a"]
    assert [(type(x), repr(x)) for x in got] == [(type(x), repr(x)) for x in expected]


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 64])
def test_a_long_integer_in_any_chunk_is_a_clear_error_not_a_crash(tmp_path, chunk):
    """ijson's C backend leaves Python's ValueError set when it cannot make the int: read
    by its push parser, that surfaces at once, whatever the chunk boundaries."""
    import frontline.gold.exports as exports

    limit = sys.get_int_max_str_digits()
    path = tmp_path / "gold.json"
    path.write_text('[{"n": ' + "1" * (limit + 1) + '}, {"m": 2}]', encoding="utf-8")
    before, exports.CHUNK_BYTES = exports.CHUNK_BYTES, chunk
    try:
        for _ in range(3):
            with pytest.raises(ExportError, match="task 1: an integer of "):
                read_export(path)
    finally:
        exports.CHUNK_BYTES = before


def test_build_message_names_the_tasks_without_gold_and_the_fix():
    keys = [("a", 1), None, ("b", 2), ("c", 3)]
    fix = (
        "  mark the annotation to release in each: `frontline review` lists them and their "
        "annotations, `frontline accept TASK --annotation ID` marks one (TASK: a task id or a "
        "doc id); then run "
        "`frontline pull`, then `frontline build` again"
    )
    assert no_gold_message("gold.json", keys) == (
        "gold.json: no task has a ground_truth annotation: nothing to release\n"
        "  without gold: doc a task 1, doc b task 2, doc c task 3\n" + fix
    )
    assert no_gold_message("gold.json", keys, limit=2).splitlines()[1] == (
        "  without gold: doc a task 1, doc b task 2 and 1 more"
    )
    assert no_gold_message("gold.json", []) == (
        "gold.json: no task has a ground_truth annotation: nothing to release; the export has no "
        "task: run `frontline push`, annotate in Label Studio, then `frontline pull`"
    )
