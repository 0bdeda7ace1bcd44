"""Where the project's files live.

The command-line tools work on a Frontline checkout. Its root is found from
``--root``, else the ``FRONTLINE_ROOT`` environment variable, else the nearest
folder at or above the working directory that holds ``annotation/scheme.toml``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MARKER = Path("annotation") / "scheme.toml"


class ProjectNotFound(RuntimeError):
    """No Frontline checkout was found."""


@dataclass(frozen=True)
class Project:
    """The standard locations inside a Frontline checkout."""

    root: Path

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    @property
    def annotation(self) -> Path:
        return self.root / "annotation"

    @property
    def scheme(self) -> Path:
        return self.annotation / "scheme.toml"

    @property
    def label_config(self) -> Path:
        return self.annotation / "label_config.xml"

    @property
    def exports(self) -> Path:
        return self.annotation / "exports"

    @property
    def gold_export(self) -> Path:
        """The committed export of the gold project."""
        return self.exports / "frontline-gold.json"

    @property
    def corpus(self) -> Path:
        return self.root / "corpus"

    @property
    def baselines(self) -> Path:
        return self.root / "baselines"

    @property
    def state(self) -> Path:
        """Git-ignored local state: server data dir, token file, screenshots."""
        return self.root / ".frontline"


def find_project(root: str | os.PathLike[str] | None = None) -> Project:
    """Return the project at ``root``, ``$FRONTLINE_ROOT`` or above the working directory."""
    if root is None:
        root = os.environ.get("FRONTLINE_ROOT")
    if root is not None:
        path = Path(root).resolve()
        if not (path / MARKER).is_file():
            raise ProjectNotFound(f"{path} is not a Frontline checkout: {MARKER} is missing")
        return Project(path)
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / MARKER).is_file():
            return Project(candidate)
    raise ProjectNotFound(
        f"no Frontline checkout at or above {here} (looked for {MARKER}); "
        "pass --root or set FRONTLINE_ROOT"
    )
