"""Shared fixtures: the real checkout, and tiny throwaway projects."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from frontline.core.paths import Project

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def local_state_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Local state (server data, token file) goes to a throwaway XDG_STATE_HOME, never the real one.

    It is outside the test's project root (``tmp_path``), as the real state is outside the checkout.
    """
    home = tmp_path_factory.mktemp("xdg-state")
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    monkeypatch.delenv("FRONTLINE_STATE_DIR", raising=False)
    return home


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


@pytest.fixture(scope="session")
def studio_server(tmp_path_factory: pytest.TempPathFactory):
    """A real Label Studio server: fresh SQLite data dir, free port on 127.0.0.1."""
    import os

    from frontline.studio import service

    state = tmp_path_factory.mktemp("studio")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTLINE_LS_")}
    server = service.start(state, port=service.free_port(), env=env)
    try:
        yield server
    finally:
        service.stop(state)


@pytest.fixture(scope="session")
def ls(studio_server):
    """An SDK client of the test server, with the admin token."""
    from frontline.studio import client, service

    return client.connect(studio_server.url, service.api_token(studio_server.state, env={}))
