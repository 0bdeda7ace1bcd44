"""The one base class of every error the ``frontline`` command reports without a traceback.

Raise a subclass of :class:`FrontlineError` for anything the user can act on (a bad file,
a running build, a server that is not ours...): ``frontline.cli.main`` prints its message
(or its ``problems``, one per line) and exits with status 1.
"""

from __future__ import annotations

from collections.abc import Sequence


class FrontlineError(Exception):
    """An error the user can act on; its message names the file, task, span or relation."""


class ProblemsError(FrontlineError):
    """Several problems found at once; ``problems`` lists each, the message joins them."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
