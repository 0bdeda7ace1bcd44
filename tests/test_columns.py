"""Arrow columns joined from per-article pieces."""

import numpy as np
import pyarrow as pa
import pytest

from frontline.release.columns import Lists, Strings, Structs, join, record_batch, substrings


def test_substrings_cut_multibyte_text_by_character_offsets():
    text = "Kobanî — “YPG” 🙂 held"
    starts, ends = np.array([0, 9, 10, 15, 17]), np.array([6, 10, 13, 16, 21])
    joined = join([substrings(text, starts, ends)], pa.string())
    assert joined.to_pylist() == ["Kobanî", "“", "YPG", "🙂", "held"]
    assert joined.to_pylist() == [text[s:e] for s, e in zip(starts, ends, strict=True)]


def test_substrings_of_nothing():
    assert (
        join(
            [substrings("abc", np.array([], dtype=np.int64), np.array([], dtype=np.int64))],
            pa.string(),
        ).to_pylist()
        == []
    )


def test_pieces_of_several_rows_join_into_one_array_of_each_type():
    kind = pa.list_(pa.struct([("start", pa.int32()), ("type", pa.string())]))
    parts = [
        Lists([2, 0], Structs({"start": np.array([0, 3]), "type": ["GPE", "ORG"]})),
        Lists(np.array([1]), Structs({"start": [7], "type": ["PER"]})),
    ]
    assert join(parts, kind).to_pylist() == [
        [{"start": 0, "type": "GPE"}, {"start": 3, "type": "ORG"}],
        [],
        [{"start": 7, "type": "PER"}],
    ]
    assert join(parts, kind).type == kind
    strings = [substrings("ab cd", np.array([0, 3]), np.array([2, 5])), ["x"]]
    assert join(strings, pa.string()).to_pylist() == ["ab", "cd", "x"]  # mixed pieces
    assert join([np.array([1, 2]), [3]], pa.int32()).to_pylist() == [1, 2, 3]


def test_record_batch_follows_the_schema_and_refuses_a_mismatch():
    schema = pa.schema([("id", pa.string()), ("tags", pa.list_(pa.int64()))])
    batch = record_batch(
        [
            {"id": ["a", "b"], "tags": Lists([1, 2], np.array([4, 5, 6]))},
            {"id": ["c"], "tags": Lists([0], np.array([], dtype=np.int64))},
        ],
        schema,
    )
    assert batch.schema == schema
    assert batch.to_pylist() == [
        {"id": "a", "tags": [4]},
        {"id": "b", "tags": [5, 6]},
        {"id": "c", "tags": []},
    ]
    with pytest.raises(KeyError):
        record_batch([{"id": ["a"]}], schema)
    with pytest.raises((pa.ArrowInvalid, ValueError)):  # two ids, one list of tags
        record_batch([{"id": ["a", "b"], "tags": Lists([1], np.array([4]))}], schema)


def test_strings_pieces_keep_their_lengths():
    piece = Strings(np.array([1, 2]), np.frombuffer(b"abc", dtype=np.uint8))
    assert join([piece], pa.string()).to_pylist() == ["a", "bc"]


def test_a_value_too_large_for_its_column_is_an_error_not_a_wrapped_number():
    with pytest.raises(OverflowError, match="does not fit in int32"):
        join([np.array([1, 2**31])], pa.int32())
