"""Where the project's files live.

The command-line tools work on a Frontline checkout. Its root is found from
``--root``, else the ``FRONTLINE_ROOT`` environment variable, else the nearest
folder at or above the working directory that holds ``annotation/scheme.toml``.

Local state (the Label Studio data dir, whose database holds the API token, and the
generated credentials file) lives outside the checkout, so that no secret ever sits in
the working tree: ``$FRONTLINE_STATE_DIR`` if set, else
``${XDG_STATE_HOME:-~/.local/state}/frontline/<checkout name>-<hash of its path>``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from frontline.errors import FrontlineError

MARKER = Path("annotation") / "scheme.toml"
ENV_STATE_DIR = "FRONTLINE_STATE_DIR"


class ProjectNotFound(FrontlineError, RuntimeError):
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
        """Local state outside the checkout: server data dir, log and token file (see
        :func:`state_dir`)."""
        return state_dir(self.root)

    @property
    def legacy_state(self) -> Path:
        """Where older versions kept the local state: ``.frontline/`` inside the checkout."""
        return self.root / ".frontline"


def state_dir(root: Path, env: Mapping[str, str] = os.environ) -> Path:
    """The local state folder of the checkout at ``root``, outside it.

    ``$FRONTLINE_STATE_DIR`` if set, else ``$XDG_STATE_HOME/frontline/<name>-<hash>`` (with
    ``~/.local/state`` when ``XDG_STATE_HOME`` is unset or not absolute), where ``<name>`` is
    the checkout folder's name and ``<hash>`` the first 8 hex digits of the SHA-256 of its
    resolved path, so that two checkouts never share a server.
    """
    if env.get(ENV_STATE_DIR):
        return Path(env[ENV_STATE_DIR]).expanduser()
    xdg = env.get("XDG_STATE_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "state"
    resolved = Path(root).resolve()
    digest = hashlib.sha256(str(resolved).encode("utf-8")).hexdigest()[:8]
    return base / "frontline" / f"{resolved.name}-{digest}"


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
