"""Prediction files for ``frontline evaluate``: read back exactly, or refused with every
problem named."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontline.core.documents import Document, Entity, Relation
from frontline.core.scheme import load_scheme
from frontline.errors import capped
from frontline.eval.predictions import (
    MAX_LISTED,
    PredictionError,
    read_predictions,
    summary_text,
    to_line,
)

TEXT = "Rebels shelled Homs."  # Rebels [0:6], Homs [15:19]
GOLD = {
    "a": Document(
        "a",
        TEXT,
        (Entity(0, 6, "GROUP", "Rebels", "r1"), Entity(15, 19, "GPE", "Homs", "r2")),
        (Relation(0, 1, "ATTACKS"),),
    ),
    "b": Document("b", "Quiet day.", (), ()),
}
B = {"id": "b", "entities": [], "relations": []}  # a right line for document b
ENTITY_LABELS = "PER, ORG, GPE, LOC, FAC, NORP, GROUP"
RELATION_LABELS = "SUPPORTS, ATTACKS, CONTROLS, LEADS, MEMBER_OF, LOCATED_IN, MEETS"


@pytest.fixture(scope="module")
def scheme(repo):
    return load_scheme(repo.scheme)


def _write(tmp_path, rows):
    path = tmp_path / "pred.jsonl"
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8"
    )
    return path


def _problems(path, scheme, **kwargs):
    with pytest.raises(PredictionError) as err:
        read_predictions(path, GOLD, scheme, **kwargs)
    return err.value.problems


def test_the_scheme_order_is_the_one_the_label_ids_index(scheme):
    assert (
        ", ".join(scheme.entity_names) == ENTITY_LABELS
        and ", ".join(scheme.relation_names) == RELATION_LABELS
    )


def test_lines_written_by_to_line_read_back_as_the_documents(tmp_path, scheme):
    path = _write(tmp_path, [to_line(GOLD["a"]), "", to_line(GOLD["b"])])  # a blank line is skipped
    found = read_predictions(path, GOLD, scheme)
    assert sorted(found) == ["a", "b"]
    assert [(e.start, e.end, e.label, e.text) for e in found["a"].entities] == [
        (0, 6, "GROUP", "Rebels"),
        (15, 19, "GPE", "Homs"),
    ]
    assert found["a"].relations == (Relation(0, 1, "ATTACKS"),) and found["b"].entities == ()


def test_labels_may_be_the_integer_class_label_ids(tmp_path, scheme):
    line = {
        "id": "a",
        "entities": [
            {"start": 0, "end": 6, "label": 6},
            {"start": 15, "end": 19, "label": 2},
            {"start": 15, "end": 19, "label": "LOC"},
        ],
        "relations": [
            {"head": 0, "tail": 1, "label": 1},
            {"head": 1, "tail": 2, "label": "LOCATED_IN"},
        ],
    }
    found = read_predictions(_write(tmp_path, [line, B]), GOLD, scheme)
    assert [(e.start, e.end, e.label, e.text, e.id) for e in found["a"].entities] == [
        (0, 6, "GROUP", "Rebels", "0"),
        (15, 19, "GPE", "Homs", "1"),
        (15, 19, "LOC", "Homs", "2"),
    ]
    assert found["a"].relations == (Relation(0, 1, "ATTACKS"), Relation(1, 2, "LOCATED_IN"))


def test_a_label_id_out_of_range_a_boolean_or_a_float_is_refused(tmp_path, scheme):
    line = {
        "id": "a",
        "entities": [
            {"start": 0, "end": 6, "label": 7},
            {"start": 15, "end": 19, "label": -1},
            {"start": 0, "end": 6, "label": True},
            {"start": 15, "end": 19, "label": 2.0},
            {"start": 0, "end": 6, "label": None},
        ],
        "relations": [
            {"head": 0, "tail": 1, "label": 7},
            {"head": 0, "tail": 1, "label": False},
            {"head": 1, "tail": 0, "label": 1.5},
            {"head": 1, "tail": 0, "label": "HATES"},
        ],
    }
    path = _write(tmp_path, [line, B])
    assert _problems(path, scheme) == [
        f"{path}:1: document a: entity 0: entity label id 7 is out of range (0 to 6)",
        f"{path}:1: document a: entity 1: entity label id -1 is out of range (0 to 6)",
        f'{path}:1: document a: entity 2: "label" must be a label name or its integer id, found '
        "true",
        f'{path}:1: document a: entity 3: "label" must be a label name or its integer id, found '
        "2.0",
        f'{path}:1: document a: entity 4: "label" must be a label name or its integer id, found '
        "null",
        f"{path}:1: document a: relation 0: relation label id 7 is out of range (0 to 6)",
        f'{path}:1: document a: relation 1: "label" must be a label name or its integer id, found '
        "false",
        f'{path}:1: document a: relation 2: "label" must be a label name or its integer id, found '
        "1.5",
        f'{path}:1: document a: relation 3: unknown relation label "HATES" (the labels are '
        f"{RELATION_LABELS})",
    ]


def test_every_problem_is_named_with_its_line_document_and_item(tmp_path, scheme):
    rows = [
        {
            "id": "a",
            "entities": [
                {"start": 15, "end": 25, "label": "GPE"},
                {"start": 0, "end": 6, "label": "ARMY"},
                {"start": True, "end": 6.0, "label": "PER"},
                {"start": 6, "end": 6, "label": "PER"},
                {"end": 6},
                [0, 6, "PER"],
            ],
            "relations": [
                {"head": 0, "tail": 6, "label": "ATTACKS"},
                {"head": "0", "label": "ATTACKS"},
                "0 1",
            ],
        },
        "{not json",
        {"id": "zz", "entities": [], "relations": []},
        [1, 2],
        {"id": "a", "entities": [], "relations": []},
        {"entities": [], "relations": []},
        {"id": 3, "entities": [], "relations": []},
        '"a"',
        '{"id": "b", "entities": [], "relations": [], "note": "unfinished',
    ]
    path = _write(tmp_path, rows)
    assert _problems(path, scheme) == [
        f"{path}:1: document a: entity 0: span [15:25] is outside the text (length 20)",
        f'{path}:1: document a: entity 1: unknown entity label "ARMY" (the labels are '
        f"{ENTITY_LABELS})",
        f'{path}:1: document a: entity 2: "start" must be an integer, found true',
        f'{path}:1: document a: entity 2: "end" must be an integer, found 6.0',
        f"{path}:1: document a: entity 3: span [6:6] is empty (start must be less than end)",
        f'{path}:1: document a: entity 4: no "start" key',
        f'{path}:1: document a: entity 4: no "label" key',
        f"{path}:1: document a: entity 5: expected a JSON object, found a list",
        f"{path}:1: document a: relation 0: tail 6 is not an entity of the line (the line's "
        "entities are 0 to 5)",
        f'{path}:1: document a: relation 1: "head" must be an integer, found "0"',
        f'{path}:1: document a: relation 1: no "tail" key',
        f"{path}:1: document a: relation 2: expected a JSON object, found a string",
        f"{path}:2: not JSON: expecting property name enclosed in double quotes at column 2",
        f'{path}:3: id "zz" is not a document of the test split',
        f"{path}:4: expected a JSON object, found a list",
        f"{path}:5: document a: a second line for this document (the first is line 1)",
        f'{path}:6: no "id" key',
        f'{path}:7: "id" must be a string, found 3',
        f"{path}:8: expected a JSON object, found a string",
        f"{path}:9: not JSON: unterminated string starting at column 54",
        f"{path}: no prediction for document b",
    ]


def test_the_range_of_head_and_tail_is_said_for_one_entity_and_for_none(tmp_path, scheme):
    rows = [
        {
            "id": "a",
            "entities": [{"start": 0, "end": 6, "label": "GROUP"}],
            "relations": [{"head": 0, "tail": 1, "label": "ATTACKS"}],
        },
        {"id": "b", "entities": [], "relations": [{"head": -1, "tail": 0, "label": "ATTACKS"}]},
    ]
    path = _write(tmp_path, rows)
    assert _problems(path, scheme) == [
        f"{path}:1: document a: relation 0: tail 1 is not an entity of the line (the line's only "
        "entity is 0)",
        f"{path}:2: document b: relation 0: head -1 is not an entity of the line (the line has no "
        "entities)",
        f"{path}:2: document b: relation 0: tail 0 is not an entity of the line (the line has no "
        "entities)",
    ]


def test_a_repeated_mention_a_relation_to_itself_and_missing_lists_are_refused(tmp_path, scheme):
    rows = [
        {
            "id": "a",
            "entities": [
                {"start": 15, "end": 19, "label": "GPE"},
                {"start": 0, "end": 6, "label": "GROUP"},
                {"start": 15, "end": 19, "label": 2},
                {"start": 15, "end": 19, "label": "LOC"},
                {"start": 15, "end": 19, "label": "GPE"},
            ],
            "relations": [
                {"head": 1, "tail": 1, "label": "ATTACKS"},
                {"head": 1, "tail": 0, "label": "ATTACKS"},
            ],
        },
        {"id": "b", "entities": []},
    ]
    path = _write(tmp_path, rows)
    assert _problems(path, scheme) == [
        f"{path}:1: document a: entity 2: the same mention as entity 0 ([15:19] GPE)",
        f"{path}:1: document a: entity 4: the same mention as entity 0 ([15:19] GPE)",
        f"{path}:1: document a: relation 0: head and tail are the same entity (1); a relation "
        "links two entities",
        f'{path}:2: document b: no "relations" key (it is required: use [] for none)',
    ]
    path = _write(
        tmp_path, [{"id": "a", "relations": []}, {"id": "b", "entities": {}, "relations": None}]
    )
    assert _problems(path, scheme) == [
        f'{path}:1: document a: no "entities" key (it is required: use [] for none)',
        f'{path}:2: document b: "entities" must be a list, found an object',
        f'{path}:2: document b: "relations" must be a list, found null',
    ]


def test_a_key_twice_in_an_object_is_refused_by_name(tmp_path, scheme):
    rows = [
        '{"id": "a", "id": "a", '
        '"entities": [{"start": 0, "end": 6, "label": "GROUP", "label": "PER"}], '
        '"relations": [{"head": 0, "head": 0, "tail": 0}], "meta": [{"x": 1, "x": 2}]}',
        '{"id": "zz", "id": "b", "entities": [], "relations": [], "relations": []}',
    ]
    path = _write(tmp_path, rows)
    assert _problems(path, scheme) == [
        f'{path}:1: document a: key "id" appears more than once',
        f'{path}:1: document a: key "x" appears more than once (under "meta")',
        f'{path}:1: document a: entity 0: key "label" appears more than once',
        f'{path}:1: document a: relation 0: key "head" appears more than once',
        f"{path}:1: document a: relation 0: head and tail are the same entity (0); a relation "
        "links two entities",
        f'{path}:1: document a: relation 0: no "label" key',
        f'{path}:2: document b: key "id" appears more than once',
        f'{path}:2: document b: key "relations" appears more than once',
    ]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85"])
def test_a_line_separator_inside_a_json_string_is_part_of_the_string(tmp_path, scheme, separator):
    path = tmp_path / "pred.jsonl"
    lines = [
        {
            "id": "a",
            "note": f"two{separator}lines",
            "entities": [{"start": 15, "end": 19, "label": "GPE"}],
            "relations": [],
        },
        B,
    ]
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\r\n" for r in lines), encoding="utf-8"
    )
    assert separator in path.read_text(encoding="utf-8")  # raw, not escaped
    found = read_predictions(path, GOLD, scheme)
    assert [(e.text, e.label) for e in found["a"].entities] == [("Homs", "GPE")] and found[
        "b"
    ].entities == ()


def test_a_file_of_another_split_is_named_as_such(tmp_path, scheme):
    elsewhere = {"v1": "validation", "v2": "validation", "t1": "train"}
    path = _write(
        tmp_path,
        [
            {"id": "v1", "entities": [], "relations": []},
            "[]",
            {"id": "v2", "entities": [], "relations": []},
        ],
    )
    assert _problems(path, scheme, elsewhere=elsewhere) == [
        f"{path}: every id belongs to the validation split, not to the test split scored; use "
        "--split validation",
        f"{path}:2: expected a JSON object, found a list",
    ]
    path = _write(
        tmp_path,
        [
            {"id": "v1", "entities": [], "relations": []},
            {"id": "t1", "entities": [], "relations": []},
        ],
    )
    assert _problems(path, scheme, split="test", elsewhere=elsewhere) == [
        f'{path}:1: id "v1" is a document of the validation split, not of the test split scored',
        f'{path}:2: id "t1" is a document of the train split, not of the test split scored',
        f"{path}: no prediction for document a",
        f"{path}: no prediction for document b",
    ]
    path = _write(tmp_path, [{"id": "v1", "entities": [], "relations": []}, B])
    assert _problems(path, scheme, split="test", elsewhere=elsewhere) == [
        f'{path}:1: id "v1" is a document of the validation split, not of the test split scored',
        f"{path}: no prediction for document a",
    ]


def test_the_message_lists_at_most_fifty_problems_then_counts_the_rest(tmp_path, scheme):
    path = _write(tmp_path, [f"[{k}]" for k in range(60)])
    with pytest.raises(PredictionError) as err:
        read_predictions(path, GOLD, scheme)
    assert len(err.value.problems) == 62  # 60 lines, 2 documents without a line
    lines = str(err.value).split("\n")
    assert MAX_LISTED == 50 and len(lines) == 51
    assert lines[0] == f"{path}:1: expected a JSON object, found a list"
    assert lines[49] == f"{path}:50: expected a JSON object, found a list"
    assert lines[50] == "... and 12 more problems"
    assert (
        capped(["x"] * 51, MAX_LISTED) == ["x"] * 50 + ["... and 1 more problem"]
        and capped(["x"] * 50, MAX_LISTED) == ["x"] * 50
    )


def test_a_missing_or_undecodable_file_is_refused_by_name(tmp_path, scheme):
    assert _problems(tmp_path / "none.jsonl", scheme)[0].startswith(
        f"{tmp_path / 'none.jsonl'}: cannot read"
    )
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"id": "a\xe9"}\n')
    assert _problems(path, scheme)[0].startswith(f"{path}: cannot read the predictions:")


def test_the_summary_table_shows_the_scores_of_the_record():
    def scores(p, r, f, macro, ci=None):
        return {
            "precision": p,
            "recall": r,
            "f1": f,
            "macro_f1": macro,
            **({"f1_ci95": ci} if ci else {}),
        }

    record = {
        "entities": {
            "strict": scores(0.75, 0.5, 0.6, 0.55, [0.41234, 0.8]),
            "exact": scores(0.8, 0.6, 0.6857, 0.6),
            "partial": scores(0.9, 0.7, 0.7875, 0.7),
            "type": scores(1.0, 0.8, 0.8889, 0.8),
        },
        "relations": {
            "strict": scores(0.5, 0.25, 0.3333, 0.2, [0.1, 0.5]),
            "boundaries": scores(0.6, 0.3, 0.4, 0.25, [0.15, 0.6]),
            "reversed_direction": 2,
        },
    }
    assert summary_text(record) == "\n".join(
        [
            "entities     precision recall     F1 macro F1  F1 95% CI",
            "  strict         0.750  0.500  0.600    0.550  [0.412, 0.800]",
            "  exact          0.800  0.600  0.686    0.600",
            "  partial        0.900  0.700  0.787    0.700",
            "  type           1.000  0.800  0.889    0.800",
            "relations    precision recall     F1 macro F1  F1 95% CI",
            "  strict         0.500  0.250  0.333    0.200  [0.100, 0.500]",
            "  boundaries     0.600  0.300  0.400    0.250  [0.150, 0.600]",
            "relations predicted in the reverse direction: 2",
        ]
    )


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 30)
    | st.floats(allow_nan=False)
    | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_LINE = st.fixed_dictionaries(
    {"id": st.sampled_from(["a", "b", "zz", "v", 3])},
    optional={
        "entities": st.lists(
            st.fixed_dictionaries(
                {
                    "start": _JSON | st.integers(-2, 22),
                    "end": _JSON | st.integers(-2, 22),
                    "label": st.sampled_from(["GPE", "LOC", "ARMY", None, 2, 7, True, 1.0]),
                }
            ),
            max_size=3,
        )
        | _JSON,
        "relations": st.lists(
            st.fixed_dictionaries(
                {
                    "head": _JSON | st.integers(-1, 3),
                    "tail": _JSON | st.integers(-1, 3),
                    "label": st.sampled_from(["ATTACKS", "HATES", 0, -1, False]),
                }
            ),
            max_size=2,
        )
        | _JSON,
    },
)


_SPAN = st.tuples(st.integers(0, 9), st.integers(1, 10)).filter(
    lambda se: se[0] < se[1]
)  # inside both texts
_VALID_ENTITIES = st.lists(
    st.builds(
        lambda se, label: {"start": se[0], "end": se[1], "label": label},
        _SPAN,
        st.sampled_from(["GPE", "LOC", "PER", 0, 6]),
    ),
    min_size=2,
    max_size=3,
    unique_by=lambda e: (e["start"], e["end"], str(e["label"])),
)


def _valid_line(doc_id):
    return _VALID_ENTITIES.map(
        lambda ents: {
            "id": doc_id,
            "entities": ents,
            "relations": [{"head": 0, "tail": len(ents) - 1, "label": "ATTACKS"}],
        }
    )


@given(
    st.lists(_LINE | _JSON, max_size=4) | st.tuples(_valid_line("a"), _valid_line("b")).map(list)
)
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_any_json_lines_give_documents_or_a_named_error(tmp_path, scheme, rows):
    """Whatever the lines hold: checked documents (offsets inside the text, names of the
    scheme), or PredictionError."""
    path = tmp_path / "pred.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    try:
        found = read_predictions(path, GOLD, scheme, elsewhere={"v": "validation"})
    except PredictionError as exc:
        assert exc.problems and all(p.startswith(str(path)) for p in exc.problems)
        return
    assert sorted(found) == ["a", "b"]
    for doc in found.values():
        assert all(
            0 <= e.start < e.end <= len(doc.text) and e.text == doc.text[e.start : e.end]
            for e in doc.entities
        )
        assert all(e.label in scheme.entity_names for e in doc.entities)
        assert len({(e.start, e.end, e.label) for e in doc.entities}) == len(doc.entities)
        assert all(
            0 <= r.head < len(doc.entities)
            and 0 <= r.tail < len(doc.entities)
            and r.head != r.tail
            and r.label in scheme.relation_names
            for r in doc.relations
        )


def test_huge_numbers_and_deep_nesting_are_named_errors_not_tracebacks(tmp_path, scheme):
    huge = (
        '{"id": "a", "entities": [{"start": '
        + "1" * 5000
        + ', "end": 6, "label": "GROUP"}], "relations": []}'
    )
    deep = (
        '{"id": "a", "entities": [], "relations": [], "meta": '
        + "[" * 100_000
        + "]" * 100_000
        + "}"
    )
    nested = '{"id": "a", "entities": [], "relations": [], "meta": ' + "[" * 900 + "]" * 900 + "}"
    path = _write(tmp_path, [huge, deep, nested, B])
    # line 3 (900 levels: within what json reads) is document a's line, and a valid one
    assert _problems(path, scheme) == [
        f"{path}:1: cannot be read: a number of more than 4300 digits",
        f"{path}:2: cannot be read: arrays or objects nested too deeply",
    ]


def test_a_line_of_json_null_is_named_as_null_not_skipped(tmp_path, scheme):
    path = _write(tmp_path, ["null", B])
    assert _problems(path, scheme) == [
        f"{path}:1: expected a JSON object, found null",
        f"{path}: no prediction for document a",
    ]
