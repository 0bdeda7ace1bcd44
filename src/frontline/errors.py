"""The one base class of every error the ``frontline`` command reports without a traceback.

Raise a subclass of :class:`FrontlineError` for anything the user can act on (a bad file,
a running build, a server that is not ours...): ``frontline.cli.main`` prints its message
(or its ``problems``, one per line) and exits with status 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar


class FrontlineError(Exception):
    """An error the user can act on; its message names the file, task, span or relation."""


def capped(problems: Sequence[str], limit: int) -> list[str]:
    """The first ``limit`` problems, then ``"... and N more problems"`` if there are more.

    >>> capped(["a", "b", "c"], 2)
    ['a', 'b', '... and 1 more problem']
    """
    rest = len(problems) - limit
    if rest <= 0:
        return list(problems)
    return [*problems[:limit], f"... and {rest} more problem{'s' if rest > 1 else ''}"]


class ProblemsError(FrontlineError):
    """Several problems found at once; ``problems`` lists each, the message joins them.

    The message starts with ``header`` when one is given, and lists at most
    :attr:`max_listed` problems when a subclass sets it (the rest are counted).
    """

    max_listed: ClassVar[int | None] = None

    def __init__(self, problems: Sequence[str], header: str | None = None):
        self.problems = list(problems)
        listed = (
            self.problems if self.max_listed is None else capped(self.problems, self.max_listed)
        )
        super().__init__("\n".join([header, *listed] if header else listed))


class CommandError(FrontlineError):
    """A step of ``frontline`` failed for a reason the user can act on."""
