"""Markdown tables: the one writer of every table the project generates (the dataset card, the
baseline results, ``annotation/stats.md``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

#: The separator cell of each column alignment (:func:`markdown_table`'s ``align``).
ALIGN = {"-": "---", "l": ":---", "r": "---:", "c": ":---:"}


def cell(value: object) -> str:
    r"""A Markdown table cell: ``|`` escaped, line breaks made spaces.

    >>> print(cell("Israel | Gaza\nwar"))
    Israel \| Gaza war
    """
    return re.sub(r"\r\n|\r|\n", " ", str(value)).replace("|", "\\|")


def markdown_table(
    header: Sequence[object], rows: Iterable[Sequence[object]], align: str = ""
) -> str:
    """A Markdown table, without a final line break; every cell, the header's too, goes through
    :func:`cell` (an empty one is one space wide). ``align`` has one letter a column (``-``
    none, ``l``, ``r``, ``c``); columns it leaves out have none.

    >>> print(markdown_table(("system", "F1"), [("a|b", 0.5), ("c", 1)], align="-r"))
    | system | F1 |
    |---|---:|
    | a\\|b | 0.5 |
    | c | 1 |
    """
    if len(align) > len(header) or set(align) - ALIGN.keys():
        raise ValueError(
            f"align {align!r}: expected at most {len(header)} of the letters {''.join(ALIGN)}"
        )
    lines = [_row(header), "|" + "".join(ALIGN[a] + "|" for a in align.ljust(len(header), "-"))]
    for i, row in enumerate(rows):
        if len(row) != len(header):
            raise ValueError(f"row {i} has {len(row)} cells, the header {len(header)}: {row!r}")
        lines.append(_row(row))
    return "\n".join(lines)


def _row(cells: Sequence[object]) -> str:
    """One line of a table; an empty cell is one space wide (``| a | | b |``)."""
    return "|" + "".join(f" {text} |" if text else " |" for text in map(cell, cells))
