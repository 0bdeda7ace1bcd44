from fixtures import DOC, TEXT

from frontline.core.documents import Relation, from_result, to_result


def test_result_round_trip_is_exact():
    assert from_result("tiny", TEXT, to_result(DOC)) == DOC


def test_to_result_shapes():
    result = to_result(DOC)
    assert result[0] == {
        "id": "e1",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": 0, "end": 4, "text": "Iran", "labels": ["GPE"]},
    }
    assert result[5] == {
        "type": "relation",
        "from_id": "e1",
        "to_id": "e2",
        "direction": "right",
        "labels": ["SUPPORTS"],
    }


def test_left_relation_is_turned_around():
    result = to_result(DOC)[:5] + [
        {
            "type": "relation",
            "from_id": "e2",
            "to_id": "e1",
            "direction": "left",
            "labels": ["SUPPORTS"],
        }
    ]
    assert from_result("tiny", TEXT, result).relations == (Relation(0, 1, "SUPPORTS"),)


def test_entities_are_sorted_by_offsets_whatever_the_result_order():
    result = list(reversed(to_result(DOC)[:5]))
    assert [e.id for e in from_result("tiny", TEXT, result).entities] == [
        "e1",
        "e2",
        "e3",
        "e4",
        "e5",
    ]
