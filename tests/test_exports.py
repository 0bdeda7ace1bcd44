import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from fixtures import ARTICLE, DOC, task

from frontline.documents import to_result
from frontline.exports import (ExportError, Part, dumps, export_parts, gold_documents, iter_export, losses, part_tasks,
                               read_export, read_valid_export, write_export)
from frontline.scheme import load_scheme
from frontline.validate import ExportInvalid


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
    with pytest.raises(ExportError, match="doc tiny: 1 annotation\\(s\\) committed, 0 in the new export"):
        write_export(path, [{**task([]), "annotations": []}])
    assert path.read_bytes() == before
    assert write_export(path, [{**task([]), "annotations": []}], force=True) is True


def test_losses_names_missing_tasks():
    assert losses([task([])], []) == ["doc tiny: 1 annotation(s) committed, task missing from the new export"]


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
    with pytest.raises(ExportError, match="an export is a JSON list of tasks, not dict"):
        read_export(path)


def test_read_valid_export_refuses_invalid_files_whole(tmp_path, repo):
    bad = to_result(DOC)
    bad[0]["value"]["labels"] = ["X"]
    path = tmp_path / "e.json"
    path.write_text(dumps([task(bad)]))
    with pytest.raises(ExportInvalid) as err:
        read_valid_export(path, [ARTICLE], load_scheme(repo.scheme))
    assert err.value.problems == [f"{path}: doc tiny task 7 annotation 1 region e1: unknown entity label 'X'"]


@pytest.mark.parametrize("content, message", [
    (b'[{"id": 1}, {"id": 2', "not a JSON export: task 2: Expecting ',' delimiter at character 20"),
    (b'[{"id": "\xff"}]', "not a JSON export: not UTF-8 (invalid start byte near byte 9)"),
    (b'[{"id": 1}] trailing', "not a JSON export: text after the list of tasks"),
    (b'[{"id": 1} {"id": 2}]', "not a JSON export: after task 1, expected ',' or ']', found '{'"),
    (b'[{"id": 1},]', "not a JSON export: task 2: Expecting value at character 11"),
    (b'{"id": 1}', "an export is a JSON list of tasks, not '{'..."),
    (b"", "an export is a JSON list of tasks, not empty file"),
    (b'\xef\xbb\xbf[]', "not a JSON export: it starts with a byte order mark"),
    (b"[" * 100_000, "not a JSON export: task 1 is nested too deeply"),
])
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


@given(st.lists(st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=6),
                          st.dictionaries(st.text(max_size=3), st.lists(st.integers(), max_size=3), max_size=3)),
                max_size=6),
       st.integers(1, 7), st.sampled_from(["", " ", "\n  "]))
@settings(max_examples=300, deadline=None)
def test_streamed_export_is_json_whatever_the_chunk_boundaries(tmp_path_factory, items, chunk, space):
    """Values split across chunks (numbers, multi-byte characters) decode as ``json`` does."""
    import frontline.exports as exports

    path = tmp_path_factory.mktemp("chunks") / "export.json"
    path.write_text(space + json.dumps(items, ensure_ascii=False).replace(", ", "," + space) + space, encoding="utf-8")
    before, exports.CHUNK_CHARS = exports.CHUNK_CHARS, chunk
    try:
        assert list(iter_export(path)) == items
    finally:
        exports.CHUNK_CHARS = before


_TASKS = st.lists(st.fixed_dictionaries({"id": st.integers(0, 9)}, optional={"data": st.dictionaries(
    st.text(max_size=3), st.one_of(st.text(max_size=6), st.lists(st.fixed_dictionaries({"x": st.integers(0, 9)}),
                                                                   max_size=3)), max_size=3)}), max_size=12)
_LAYOUTS = {  # how an export may be written, and what stands between two of its tasks
    "dumps": (lambda tasks: json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", ",\n "),
    "lines": (lambda tasks: "[" + ",".join("\n" + json.dumps(t, ensure_ascii=False) for t in tasks) + "\n]\n", ",\n"),
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
    assert [task for part in parts for task in part_tasks(path, part)] == tasks
    if between is None or len(text) <= size:
        assert parts == [Part(0, None)]
        return
    commas = [i for i in range(len(text)) if text.startswith(between.encode() + b"{", i)]  # after tasks 1..n-1
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
            list(part_tasks(path, part))
    assert list(part_tasks(path, parts[2])) == [{"id": 3}]
    assert list(part_tasks(path, Part(0, None))) == [{"id": 1, "x": [0, {"y": 2}]}, {"id": 3}]


def test_a_missing_or_tiny_export_is_one_part(tmp_path):
    assert export_parts(tmp_path / "missing.json", 1) == [Part(0, None)]
    (tmp_path / "small.json").write_text('[\n {"id": 1},\n {"id": 2}\n]', encoding="utf-8")
    assert export_parts(tmp_path / "small.json", 100) == [Part(0, None)]
    assert export_parts(tmp_path / "small.json", 1) == [Part(0, 12), Part(15, None)]  # bytes 12-14: ',\n '
    with pytest.raises(ExportError, match="no such export"):
        list(part_tasks(tmp_path / "missing.json", Part(0, None)))
