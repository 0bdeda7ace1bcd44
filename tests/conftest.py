"""Shared fixtures: the real checkout, and tiny throwaway projects."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from frontline.paths import Project

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo() -> Project:
    """The checkout the tests run in (read only)."""
    return Project(REPO)


@pytest.fixture()
def empty_project(tmp_path: Path) -> Project:
    """A project with the real scheme and no articles."""
    (tmp_path / "annotation").mkdir()
    shutil.copy(REPO / "annotation" / "scheme.toml", tmp_path / "annotation" / "scheme.toml")
    return Project(tmp_path)
