"""``frontline studio add-annotator``: annotator accounts that log in to the browser (issue 17).

The server tests run against the session's real Label Studio (``studio_server`` in conftest.py).
"""

from __future__ import annotations

import itertools
import os
import stat

import pytest

from frontline.cli import main
from frontline.studio import people, service

_numbers = itertools.count(1)


def test_an_email_is_checked_and_lower_cased_as_label_studio_stores_it(tmp_path):
    assert people.check_email("Ann.Smith+x@Example.org") == "ann.smith+x@example.org"
    for bad in (
        "ann",
        "ann@localhost",
        "../x@example.org",
        "a b@example.org",
        "ann@example..org",
        "a/b@example.org",
    ):
        with pytest.raises(people.PeopleError) as caught:
            people.check_email(bad)
        assert str(caught.value) == (
            f"{bad!r} is not an email address an annotator can log in with (like ann@example.org)"
        )
    assert (
        people.password_file(tmp_path, "ann@example.org")
        == tmp_path / "annotators" / "ann@example.org.password"
    )


def test_a_server_that_does_not_answer_is_named(empty_project, capsys, monkeypatch):
    monkeypatch.setenv(service.ENV_TOKEN, "0" * 40)
    url = f"http://127.0.0.1:{service.free_port()}"
    assert (
        main(
            [
                "--root",
                str(empty_project.root),
                "studio",
                "add-annotator",
                "ann@example.org",
                "--url",
                url,
            ]
        )
        == 1
    )
    refused = (
        f"frontline: error: no Label Studio answers at {url}: start one with "
        "`frontline studio start` or pass --url / set FRONTLINE_LS_URL\n"
    )
    assert capsys.readouterr() == ("", refused)
    assert not (empty_project.state / "annotators").exists()


@pytest.fixture()
def run(empty_project, studio_server, monkeypatch, capsys):
    """``frontline studio add-annotator ARGS --url SERVER`` with the admin token in the
    environment."""
    monkeypatch.setenv(service.ENV_TOKEN, service.api_token(studio_server.state, env={}))

    def run(*args: str) -> tuple[int, str, str]:
        code = main(
            [
                "--root",
                str(empty_project.root),
                "studio",
                "add-annotator",
                *args,
                "--url",
                studio_server.url,
            ]
        )
        out, err = capsys.readouterr()
        return code, out, err

    return run


def email() -> str:
    return f"people-{next(_numbers)}-{os.getpid()}@example.org"


@pytest.mark.studio
def test_label_studio_users_api_makes_accounts_that_cannot_log_in(ls, studio_server):
    """Why add-annotator signs up through the invitation link: ``POST /api/users/`` ignores the
    password."""
    address = email()
    ls.users.create(username=address.split("@")[0], email=address, password="a-long-password-42")
    assert people.can_log_in(studio_server.url, address, "a-long-password-42") is False
    admin = service.credentials(studio_server.state, env={})
    assert people.can_log_in(studio_server.url, admin.username, admin.password) is True


@pytest.mark.studio
def test_add_annotator_makes_an_account_of_the_organization_that_logs_in(
    run, ls, empty_project, studio_server
):
    address = email()
    code, out, err = run(address.upper().replace("@EXAMPLE.ORG", "@Example.org"))
    path = empty_project.state / "annotators" / f"{address}.password"
    users = {u.email: u for u in ls.users.list()}
    user = users[address]
    url = studio_server.url
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"created annotator {address} (user {user.id}) on {url}: a member of the organization, "
        "and it logs in",
        f"password written to {path} (mode 0600): hand it to the annotator privately",
        f"they log in at {url}/user/login/ with {address} and that password",
    ]
    password = path.read_text(encoding="utf-8").strip()
    assert len(password) == 24 and password not in out
    assert (
        stat.S_IMODE(path.stat().st_mode) == 0o600
        and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    )
    admin = service.credentials(studio_server.state, env={})
    assert user.active_organization == users[admin.username].active_organization
    assert people.can_log_in(url, address, password) is True

    # again: the account exists; the password stays as it was
    again = (
        f"annotator {address} already has an account (user {user.id}) on {url}; its password is "
        f"in {path}\n"
        f"they log in at {url}/user/login/ with {address} and that password\n"
    )
    assert run(address) == (0, again, "")
    assert path.read_text(encoding="utf-8").strip() == password
    code, out, _ = run(address, "--show-password")
    assert out.splitlines()[-1] == f"password: {password}" and out.count(password) == 1


@pytest.mark.studio
def test_show_password_prints_a_new_password_once(run, empty_project):
    address = email()
    code, out, err = run(address, "--show-password")
    password = (
        (empty_project.state / "annotators" / f"{address}.password")
        .read_text(encoding="utf-8")
        .strip()
    )
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == f"password: {password}" and out.count(password) == 1


@pytest.mark.studio
def test_an_account_made_another_way_is_left_alone(run, ls, empty_project, studio_server):
    address = email()
    made = ls.users.create(
        username=address.split("@")[0], email=address, password="ignored-by-the-server"
    )
    path = empty_project.state / "annotators" / f"{address}.password"
    said = (
        f"annotator {address} already has an account (user {made.id}) on {studio_server.url}, "
        "made without `studio add-annotator` (by `annotate --annotator` or `restore`): its "
        f"password was never shown nor stored ({path} does not exist)\n"
    )
    assert run(address, "--show-password") == (0, said, "")
    assert not path.exists()


@pytest.mark.studio
def test_a_password_file_without_its_account_is_not_overwritten(run, empty_project):
    address = email()
    path = empty_project.state / "annotators" / f"{address}.password"
    service.private_folder(path.parent)
    path.write_text("old\n", encoding="utf-8")
    refused = (
        f"frontline: error: {path} exists but the server has no account {address}: it belongs to "
        "an account on another server or one that was deleted; move it away and run this again\n"
    )
    assert run(address) == (1, "", refused)
    assert path.read_text(encoding="utf-8") == "old\n"


@pytest.mark.studio
def test_the_local_server_token_comes_from_the_state_folder(
    studio_server, empty_project, monkeypatch, capsys
):
    """No $FRONTLINE_LS_TOKEN: the token (and the password files) are the local server's state
    folder's."""
    monkeypatch.delenv(service.ENV_TOKEN, raising=False)
    monkeypatch.setenv("FRONTLINE_STATE_DIR", str(studio_server.state))
    address = email()
    code = main(
        [
            "--root",
            str(empty_project.root),
            "studio",
            "add-annotator",
            address,
            "--url",
            studio_server.url,
        ]
    )
    out, err = capsys.readouterr()
    path = studio_server.state / "annotators" / f"{address}.password"
    assert (code, err) == (0, "") and f"password written to {path} (mode 0600)" in out
    assert people.can_log_in(studio_server.url, address, path.read_text(encoding="utf-8").strip())


def test_a_lost_connection_is_one_line_without_the_password_of_the_url(tmp_path):
    url = f"http://user:secret@127.0.0.1:{service.free_port()}"
    with pytest.raises(people.PeopleError) as caught:
        people.add_annotator(url, "0" * 40, tmp_path, "ann@example.org")
    message = str(caught.value)
    assert message.startswith(
        "lost the connection to Label Studio at "
        f"http://user:***@127.0.0.1:{url.rsplit(':', 1)[1]} ("
    )
    assert message.endswith("): start it and run this again") and "secret" not in message
    assert not (tmp_path / "annotators").exists()
