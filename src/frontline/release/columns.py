"""Arrow columns made from the pieces of many articles at once.

Each article's rows are kept as *pieces* of columns (NumPy arrays, short Python lists,
UTF-8 bytes); :func:`record_batch` joins the pieces of a batch of articles and makes each
Arrow array once, so Arrow's per-call cost is paid per batch, not per article. Pieces
are shaped after the column's Arrow type:

* a scalar column: a list (one value per row) or a NumPy array;
* a string column: a list of ``str``, or :class:`Strings` (UTF-8 bytes and lengths);
* a list column: :class:`Lists` (each row's length, and the pieces of the items);
* a struct column: :class:`Structs` (the pieces of each field).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa


@dataclass(frozen=True)
class Strings:
    """Strings as one UTF-8 buffer: ``lengths[i]`` bytes each, one after another."""

    lengths: np.ndarray
    data: np.ndarray  # uint8


@dataclass(frozen=True)
class Lists:
    """A list column: ``lengths[i]`` items in row ``i``, the items of all rows in ``items``."""

    lengths: Any  # list or NumPy array of ints
    items: Column


@dataclass(frozen=True)
class Structs:
    """A struct column: one piece per field."""

    fields: Mapping[str, Column]


Column = list | np.ndarray | Strings | Lists | Structs


def substrings(text: str, starts: np.ndarray, ends: np.ndarray) -> Strings:
    """``text[start:end]`` for each pair of character offsets (end exclusive), as UTF-8.

    The bytes are gathered with NumPy from ``text`` encoded once; character offsets are
    turned into byte offsets first when the text is not ASCII.

    >>> s = substrings("Türkiye's army", np.array([0, 10]), np.array([7, 14]))
    >>> s.lengths.tolist(), bytes(s.data).decode()
    ([8, 4], 'Türkiyearmy')
    """
    data = text.encode("utf-8")
    if len(data) != len(text):
        points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        widths = 1 + (points >= 0x80) + (points >= 0x800) + (points >= 0x10000)
        byte_of = np.concatenate([[0], np.cumsum(widths)])
        starts, ends = byte_of[starts], byte_of[ends]
    lengths = (ends - starts).astype(np.int64)
    ahead = np.concatenate([[0], np.cumsum(lengths)])
    picks = np.arange(ahead[-1]) - np.repeat(ahead[:-1] - starts, lengths)
    return Strings(lengths, np.frombuffer(data, dtype=np.uint8)[picks])


def _offsets(lengths: Sequence[Any]) -> np.ndarray:
    joined = (
        np.concatenate([np.asarray(n, dtype=np.int64) for n in lengths])
        if lengths
        else np.zeros(0, np.int64)
    )
    offsets = np.zeros(len(joined) + 1, dtype=np.int64)
    np.cumsum(joined, out=offsets[1:])
    if offsets[-1] > np.iinfo(np.int32).max:
        raise OverflowError(
            f"{offsets[-1]} items or bytes in one record batch: more than an Arrow list holds"
        )
    return offsets.astype(np.int32)


def join(parts: Sequence[Column], kind: pa.DataType) -> pa.Array:
    """One Arrow array of type ``kind`` from the pieces of consecutive rows."""
    if pa.types.is_list(kind):
        return pa.ListArray.from_arrays(
            pa.array(_offsets([p.lengths for p in parts])),
            join([p.items for p in parts], kind.value_type),
        )
    if pa.types.is_struct(kind):
        fields = list(kind)
        return pa.StructArray.from_arrays(
            [join([p.fields[f.name] for p in parts], f.type) for f in fields], fields=fields
        )
    if parts and all(isinstance(p, Strings) for p in parts):
        offsets = _offsets([p.lengths for p in parts])
        data = np.concatenate([p.data for p in parts])
        return pa.StringArray.from_buffers(
            len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(data)
        )
    if parts and all(isinstance(p, np.ndarray) for p in parts):
        values = np.concatenate(parts)
        cast = values.astype(kind.to_pandas_dtype(), copy=False)  # NumPy's cast: Arrow's costs more
        if not np.array_equal(cast, values):
            raise OverflowError(f"a value does not fit in {kind}")
        return pa.array(cast)
    values: list[Any] = []
    for part in parts:
        values += part.tolist() if isinstance(part, np.ndarray) else _python(part)
    return pa.array(values, type=kind)


def _python(part: Column) -> list[Any]:
    if isinstance(part, Strings):
        data, ends = bytes(part.data), np.cumsum(part.lengths).tolist()
        return [data[a:b].decode("utf-8") for a, b in zip([0, *ends], ends, strict=False)]
    return list(part)


def record_batch(rows: Sequence[Mapping[str, Column]], schema: pa.Schema) -> pa.RecordBatch:
    """One record batch of ``schema`` from the column pieces of consecutive rows."""
    return pa.RecordBatch.from_arrays(
        [join([r[f.name] for r in rows], f.type) for f in schema], schema=schema
    )
