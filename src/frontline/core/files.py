"""Writing files so that a failure never leaves a half-written output."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def snapshot(root: Path, paths: list[str]) -> dict[str, bytes]:
    """The bytes of every file under ``paths`` (files or folders, relative to ``root``)."""
    found: dict[str, bytes] = {}
    for rel in paths:
        target = root / rel
        files = sorted(p for p in target.rglob("*") if p.is_file()) if target.is_dir() else [target]
        for path in files:
            if path.is_file():
                found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def changed_files(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    """Files written, rewritten with other bytes, or removed between two snapshots."""
    return sorted(k for k in {*before, *after} if before.get(k) != after.get(k))
