"""The ``frontline`` command: one subcommand per step of the pipeline.

Run ``frontline --help`` for the list and ``frontline STEP --help`` for each step. The steps
are declared in :mod:`frontline.cli.commands` (the parser is made from that table, see
:mod:`frontline.cli.spec`); their handlers are thin, grouped by the stage they drive:
:mod:`~frontline.cli.core`, :mod:`~frontline.cli.studio`, :mod:`~frontline.cli.gold`,
:mod:`~frontline.cli.release` and :mod:`~frontline.cli.baselines`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from frontline.cli.commands import build_parser
from frontline.core.paths import find_project
from frontline.errors import CommandError, FrontlineError, capped

__all__ = ["CommandError", "build_parser", "error_text", "main"]


def error_text(exc: FrontlineError) -> str:
    """What ``frontline`` prints for ``exc``: its one problem on the ``error:`` line, or each of
    its ``problems`` on a line of its own (at most ``max_listed``, then how many more).

    >>> from frontline.errors import ProblemsError
    >>> error_text(CommandError("no article 'x'"))
    "frontline: error: no article 'x'"
    >>> print(error_text(ProblemsError(["a: bad", "b: bad"])))
    frontline: error: 2 problems:
      - a: bad
      - b: bad
    """
    problems = getattr(exc, "problems", [str(exc)])
    if len(problems) == 1:
        return f"frontline: error: {problems[0]}"
    limit = getattr(exc, "max_listed", None)
    listed = problems if limit is None else problems[:limit]
    lines = [f"frontline: error: {len(problems)} problems:", *(f"  - {p}" for p in listed)]
    if len(listed) < len(problems):
        lines.append(f"  {capped(problems, limit)[-1]}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``frontline ARGV...``: 0 on success, 1 after printing an error the user can act on,
    2 (from argparse) on a command line it cannot parse."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(find_project(args.root), args)
    except FrontlineError as exc:
        print(error_text(exc), file=sys.stderr)
        return 1
