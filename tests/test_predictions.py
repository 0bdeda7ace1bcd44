"""Prediction files for ``frontline evaluate``: read back exactly, or refused with every problem named."""

import json

import pytest

from frontline.documents import Document, Entity, Relation
from frontline.predictions import PredictionError, read_predictions, to_line
from frontline.scheme import load_scheme

TEXT = "Rebels shelled Homs."  # Rebels [0:6], Homs [15:19]
GOLD = {
    "a": Document("a", TEXT, (Entity(0, 6, "GROUP", "Rebels", "r1"), Entity(15, 19, "GPE", "Homs", "r2")),
                  (Relation(0, 1, "ATTACKS"),)),
    "b": Document("b", "Quiet day.", (), ()),
}


@pytest.fixture(scope="module")
def scheme(repo):
    return load_scheme(repo.scheme)


def _write(tmp_path, rows):
    path = tmp_path / "pred.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _problems(path, scheme):
    with pytest.raises(PredictionError) as err:
        read_predictions(path, GOLD, scheme)
    return err.value.problems


def test_lines_written_by_to_line_read_back_as_the_documents(tmp_path, scheme):
    path = _write(tmp_path, [to_line(GOLD["a"]), "", to_line(GOLD["b"])])  # a blank line is skipped
    found = read_predictions(path, GOLD, scheme)
    assert sorted(found) == ["a", "b"]
    assert [(e.start, e.end, e.label, e.text) for e in found["a"].entities] == [(0, 6, "GROUP", "Rebels"),
                                                                             (15, 19, "GPE", "Homs")]
    assert found["a"].relations == (Relation(0, 1, "ATTACKS"),) and found["b"].entities == ()


def test_relations_may_be_left_out(tmp_path, scheme):
    line = {"id": "a", "entities": [{"start": 15, "end": 19, "label": "LOC"}]}
    found = read_predictions(_write(tmp_path, [line, to_line(GOLD["b"])]), GOLD, scheme)
    assert found["a"].relations == () and found["a"].entities[0].text == "Homs"


def test_every_problem_is_named_with_its_line_document_and_item(tmp_path, scheme):
    rows = [
        {"id": "a", "entities": [{"start": 15, "end": 25, "label": "GPE"}, {"start": 0, "end": 6, "label": "ARMY"},
                                 {"start": True, "end": 6, "label": "PER"}],
         "relations": [{"head": 0, "tail": 3, "label": "ATTACKS"}, {"head": 0, "tail": 1, "label": "HATES"}]},
        "{not json",
        {"id": "zz", "entities": []},
        [1, 2],
        {"id": "a", "entities": []},
    ]
    path = _write(tmp_path, rows)
    assert _problems(path, scheme) == [
        f"{path}:1: document a: entity 0: offsets [15:25] outside the text (length 20) or empty",
        f"{path}:1: document a: entity 1: unknown entity label 'ARMY'",
        f"{path}:1: document a: entity 2: start/end must be integers, not True/6",
        f"{path}:1: document a: relation 0: head/tail 0/3 must index the line's 3 entities",
        f"{path}:1: document a: relation 1: unknown relation label 'HATES'",
        f"{path}:2: not JSON: Expecting property name enclosed in double quotes at column 2",
        f"{path}:3: id 'zz' is not a document of the split scored",
        f"{path}:4: a line is a JSON object, not list",
        f"{path}:5: a second line for document a (the first is line 1)",
        f"{path}: no prediction for document b",
    ]


def test_a_missing_or_undecodable_file_is_refused_by_name(tmp_path, scheme):
    assert _problems(tmp_path / "none.jsonl", scheme)[0].startswith(f"{tmp_path / 'none.jsonl'}: cannot read")
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"id": "a\xe9"}\n')
    assert _problems(path, scheme)[0].startswith(f"{path}: cannot read the predictions:")
