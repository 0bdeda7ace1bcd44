import hashlib
import json
import os
import socket
import stat

import pytest

from frontline.cli import main
from frontline.core.paths import ENV_STATE_DIR, Project, state_dir
from frontline.studio import service


def test_state_lives_outside_the_checkout_one_folder_per_checkout(tmp_path, monkeypatch):
    root = tmp_path / "work" / "main"
    other = tmp_path / "elsewhere" / "main"
    root.mkdir(parents=True)
    other.mkdir(parents=True)
    digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:8]
    xdg = {"XDG_STATE_HOME": str(tmp_path / "xdg")}
    assert state_dir(root, xdg) == tmp_path / "xdg" / "frontline" / f"main-{digest}"
    assert state_dir(other, xdg).name.startswith("main-") and state_dir(other, xdg) != state_dir(
        root, xdg
    )
    (tmp_path / "link").symlink_to(root)
    assert state_dir(tmp_path / "link", xdg) == state_dir(root, xdg)
    assert state_dir(root, {**xdg, ENV_STATE_DIR: str(tmp_path / "mine")}) == tmp_path / "mine"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    home_state = tmp_path / "home" / ".local" / "state" / "frontline" / f"main-{digest}"
    assert state_dir(root, {}) == home_state
    assert state_dir(root, {"XDG_STATE_HOME": "relative/is/ignored"}) == home_state
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert Project(root).state == state_dir(root, xdg)
    monkeypatch.setenv(ENV_STATE_DIR, str(tmp_path / "mine"))
    assert Project(root).state == tmp_path / "mine"


def test_start_refuses_while_an_older_state_sits_in_the_checkout(empty_project, capsys):
    (empty_project.root / ".frontline" / "studio").mkdir(parents=True)
    assert (
        main(
            [
                "--root",
                str(empty_project.root),
                "studio",
                "start",
                "--port",
                str(service.free_port()),
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert (
        f"{empty_project.root / '.frontline'}, inside the checkout" in err
        and str(empty_project.state) in err
    )
    assert not empty_project.state.exists()


def test_credentials_are_generated_owner_only_and_reused(tmp_path):
    first = service.credentials(tmp_path, env={})
    path = tmp_path / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.token) == 40 and int(first.token, 16) >= 0
    assert service.credentials(tmp_path, env={}) == first
    assert service.api_token(tmp_path, env={}) == first.token


def test_environment_wins_and_secrets_never_show_in_repr(tmp_path):
    env = {
        service.ENV_TOKEN: "f" * 40,
        service.ENV_USERNAME: "a@b.c",
        service.ENV_PASSWORD: "pw-secret",
    }
    creds = service.credentials(tmp_path, env=env)
    assert (creds.username, creds.password, creds.token) == ("a@b.c", "pw-secret", "f" * 40)
    assert not (tmp_path / "credentials.json").exists()  # nothing to generate
    assert "pw-secret" not in repr(creds) and "f" * 40 not in repr(creds)
    assert service.api_token(tmp_path, env=env) == "f" * 40


def test_missing_token_is_a_clear_error(tmp_path):
    with pytest.raises(
        service.StudioError, match="set FRONTLINE_LS_TOKEN or run `frontline studio start`"
    ):
        service.api_token(tmp_path, env={})


def test_server_env_is_loopback_sqlite_without_telemetry(tmp_path):
    creds = service.Credentials("u@x.y", "p", "0" * 40)
    env = service.server_env(
        tmp_path,
        creds,
        base={"USERNAME": "me", "PORT": "1", "PATH": "/bin", service.ENV_TOKEN: "leak"},
    )
    assert "USERNAME" not in env and "PORT" not in env and service.ENV_TOKEN not in env
    assert env["DJANGO_DB"] == "sqlite" and env["COLLECT_ANALYTICS"] == "false"
    assert env["LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN"] == "true"
    assert env["LABEL_STUDIO_USER_TOKEN"] == "0" * 40 and env["PATH"] == "/bin"


def test_taken_port_is_refused(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert not service.port_is_free(port)
        with pytest.raises(service.StudioError, match=f"port {port} on 127.0.0.1 is taken"):
            service.start(tmp_path, port=port, env={})
    assert not (tmp_path / "studio.json").exists()


def test_stop_without_a_server_says_so(tmp_path, capsys):
    (tmp_path / "annotation").mkdir()
    (tmp_path / "annotation" / "scheme.toml").write_text("")
    assert main(["--root", str(tmp_path), "studio", "stop"]) == 0
    assert "no Label Studio server of ours is running" in capsys.readouterr().out


@pytest.mark.studio
def test_second_start_is_refused_while_one_runs(studio_server):
    with pytest.raises(service.StudioError, match=f"already running at {studio_server.url}"):
        service.start(studio_server.state, port=service.free_port(), env={})
    assert service.is_up(studio_server.url)


@pytest.mark.studio
def test_cli_start_status_stop(empty_project, local_state_home, capsys, monkeypatch):
    for var in (service.ENV_TOKEN, service.ENV_USERNAME, service.ENV_PASSWORD, service.ENV_URL):
        monkeypatch.delenv(var, raising=False)
    root = ["--root", str(empty_project.root)]
    port = service.free_port()
    assert main([*root, "studio", "start", "--port", str(port)]) == 0
    out = capsys.readouterr().out
    record = json.loads((empty_project.state / "studio.json").read_text())
    token = service.api_token(empty_project.state, env={})
    assert f"Label Studio is up at http://127.0.0.1:{port}" in out and token not in out
    assert main([*root, "studio", "status"]) == 0
    assert main([*root, "studio", "stop"]) == 0
    assert f"stopped Label Studio (pid {record['pid']})" in capsys.readouterr().out
    with pytest.raises(ProcessLookupError):
        os.kill(record["pid"], 0)
    assert service.port_is_free(port) and not service.is_up(f"http://127.0.0.1:{port}")
    assert main([*root, "studio", "status"]) == 1
    assert token not in (empty_project.state / "studio.log").read_text(errors="replace")
    assert f"data in {empty_project.state / 'studio'}" in out
    assert (
        empty_project.state.is_relative_to(local_state_home)
        and (empty_project.state / "credentials.json").exists()
    )
    assert stat.S_IMODE(empty_project.state.stat().st_mode) == 0o700
    assert [
        p for p in empty_project.root.rglob("*") if p.is_file() and token.encode() in p.read_bytes()
    ] == []
