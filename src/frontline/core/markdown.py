"""Markdown tables: the one writer of every table the project generates (the dataset card, the
baseline results, ``annotation/stats.md``); and the generated blocks between two markers in a
committed Markdown file (the results table in ``README.md`` and ``baselines/RESULTS.md``, the
benchmark report)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

#: The markers around the generated baseline table (``README.md``, ``baselines/RESULTS.md``).
RESULTS = ("<!-- results -->", "<!-- /results -->")

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


def splice(text: str, block: str, markers: tuple[str, str] = RESULTS) -> str:
    """Replace the generated block between the two ``markers`` in ``text``.

    >>> splice("a\\n<!-- results -->\\nold\\n<!-- /results -->\\nb", "new")
    'a\\n<!-- results -->\\nnew\\n<!-- /results -->\\nb'
    """
    begin, end = markers
    if begin not in text or end not in text:
        raise ValueError(f"no {begin} ... {end} block to replace")
    head, rest = text.split(begin, 1)
    return head + begin + "\n" + block + "\n" + end + rest.split(end, 1)[1]


def between(text: str, markers: tuple[str, str] = RESULTS) -> str | None:
    """The generated block between the two ``markers`` in ``text`` (``None`` without them).

    >>> between("a\\n<!-- results -->\\nthe table\\n<!-- /results -->\\nb")
    'the table'
    """
    begin, end = markers
    if begin not in text or end not in text.split(begin, 1)[1]:
        return None
    return text.split(begin, 1)[1].split(end, 1)[0].removeprefix("\n").removesuffix("\n")
