import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from fixtures import ARTICLE, DOC, task

from frontline.documents import to_result
from frontline.exports import (ExportError, dumps, export_blocks, gold_documents, iter_export, losses, read_export,
                               read_valid_export, write_export)
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


@given(st.lists(st.one_of(st.integers(), st.text(max_size=6), st.lists(st.text(max_size=3), max_size=3)), max_size=9),
       st.integers(1, 7), st.integers(1, 4), st.sampled_from(["", " ", "\n  "]))
@settings(max_examples=300, deadline=None)
def test_export_blocks_start_and_end_where_their_tasks_do_in_bytes(tmp_path_factory, items, chunk, size, space):
    """Blocks hold the tasks in order, each from the byte where its first task starts to
    the byte where its last one ends (a shorter last block: to the end of the file),
    whatever the chunk boundaries and multi-byte characters before them."""
    import frontline.exports as exports

    parts = [json.dumps(item, ensure_ascii=False) for item in items]
    head = f"{space}[{space}"
    text = head + f",{space}".join(parts) + f"{space}]{space}"
    starts = [len((head + "".join(p + "," + space for p in parts[:i])).encode()) for i in range(len(parts))]
    path = tmp_path_factory.mktemp("blocks") / "export.json"
    path.write_text(text, encoding="utf-8")
    before, exports.CHUNK_CHARS = exports.CHUNK_CHARS, chunk
    try:
        blocks = list(export_blocks(path, size))
    finally:
        exports.CHUNK_CHARS = before
    assert [task for block in blocks for task in block.tasks] == items
    assert [len(block.tasks) for block in blocks] == [min(size, len(items) - i) for i in range(0, len(items), size)]
    assert [block.start for block in blocks] == starts[::size]
    ends = [starts[i] + len(parts[i].encode()) for i in range(size - 1, len(parts), size)]
    assert [block.end for block in blocks] == (ends + [len(text.encode())])[:len(blocks)]
