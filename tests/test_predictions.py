"""Prediction files for ``frontline evaluate``: read back exactly, or refused with every problem named."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


_JSON = st.recursive(st.none() | st.booleans() | st.integers(-3, 30) | st.floats(allow_nan=False) | st.text(max_size=4),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                     max_leaves=12)
_LINE = st.fixed_dictionaries({"id": st.sampled_from(["a", "b", "zz", 3])},
                              optional={"entities": st.lists(st.fixed_dictionaries(
                                  {"start": _JSON | st.integers(-2, 22), "end": _JSON | st.integers(-2, 22),
                                   "label": st.sampled_from(["GPE", "LOC", "ARMY", None])}), max_size=3) | _JSON,
                                  "relations": st.lists(st.fixed_dictionaries(
                                      {"head": _JSON | st.integers(-1, 3), "tail": _JSON | st.integers(-1, 3),
                                       "label": st.sampled_from(["ATTACKS", "HATES"])}), max_size=2) | _JSON})


_SPAN = st.tuples(st.integers(0, 9), st.integers(1, 10)).filter(lambda se: se[0] < se[1])  # inside both texts
_VALID_ENTITIES = st.lists(st.builds(lambda se, label: {"start": se[0], "end": se[1], "label": label},
                                     _SPAN, st.sampled_from(["GPE", "LOC", "PER"])), min_size=1, max_size=3)


def _valid_line(doc_id):
    return _VALID_ENTITIES.map(lambda ents: {"id": doc_id, "entities": ents,
                                             "relations": [{"head": 0, "tail": len(ents) - 1, "label": "ATTACKS"}]})


@given(st.lists(_LINE | _JSON, max_size=4) | st.tuples(_valid_line("a"), _valid_line("b")).map(list))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_json_lines_give_documents_or_a_named_error(tmp_path, scheme, rows):
    """Whatever the lines hold: checked documents (offsets inside the text), or PredictionError."""
    path = tmp_path / "pred.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    try:
        found = read_predictions(path, GOLD, scheme)
    except PredictionError as exc:
        assert exc.problems and all(p.startswith(str(path)) for p in exc.problems)
        return
    assert sorted(found) == ["a", "b"]
    for doc in found.values():
        assert all(0 <= e.start < e.end <= len(doc.text) and e.text == doc.text[e.start:e.end] for e in doc.entities)
        assert all(0 <= r.head < len(doc.entities) and 0 <= r.tail < len(doc.entities) for r in doc.relations)
