"""Faults: a Label Studio server killed in the middle of a push or a pull, and a token that
must never leak (output, logs, exceptions, files in the checkout).

The server tests run real servers of their own (not the session one): they kill them with
SIGKILL, as a crash or the OOM killer would, in the middle of a request.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fixtures import ARTICLE, SHEET
from label_studio_sdk.core.api_error import ApiError

from frontline.cli import CommandError, build_parser, main
from frontline.core.articles import Article, add_articles, make_article
from frontline.core.paths import ENV_STATE_DIR, Project, find_project
from frontline.studio import client, service

BATCH = 5
KILLED_BATCH = 8  # the push loses the server while it handles its 8th import request
N_ARTICLES = 120
GEN_SHEET = """doc: gen-000
S0: [[Rebels]]GROUP entered town 0 near [[Aleppo]]GPE.
"""


def generated(numbers: range) -> list[Article]:
    """Tiny distinct articles ``gen-NNN``, one sentence each."""
    return [
        make_article(
            f"Rebels entered town {i} near Aleppo.",
            id=f"gen-{i:03d}",
            title=f"Town {i}",
            date="2024-12-03",
            url=f"https://example.org/gen/{i}",
            license="CC BY 4.0",
        )
        for i in numbers
    ]


# --- a server of our own that a test may kill --------------------------------------------


@dataclass(frozen=True)
class Killable:
    """A Label Studio server on a fixed port with its own state folder (generated credentials)."""

    state: Path
    port: int
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def token(self) -> str:
        return service.api_token(self.state, env={})

    def ensure_up(self) -> None:
        """Start (or restart, on the same data dir and port) the server unless it answers."""
        if not service.is_up(self.url):
            service.start(self.state, port=self.port, env=self.env)

    def kill(self) -> None:
        """SIGKILL the server's whole process group, reap it and wait until the port is free."""
        server = service.running(self.state)
        assert server is not None, "no server to kill"
        os.killpg(server.pid, signal.SIGKILL)
        try:
            os.waitpid(server.pid, 0)
        except ChildProcessError:  # already reaped by the subprocess module
            pass
        deadline = time.monotonic() + 30
        while not service.port_is_free(self.port) and time.monotonic() < deadline:
            time.sleep(0.1)


@pytest.fixture(scope="module")
def killable(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Killable]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTLINE_LS_")}
    server = Killable(tmp_path_factory.mktemp("killable"), service.free_port(), env)
    server.ensure_up()
    try:
        yield server
    finally:
        service.stop(server.state)


@pytest.fixture()
def cli_project(
    empty_project: Project, killable: Killable, monkeypatch: pytest.MonkeyPatch
) -> Project:
    """A project whose CLI commands talk to the killable server (up when the test starts)."""
    killable.ensure_up()
    monkeypatch.setenv(service.ENV_URL, killable.url)
    monkeypatch.setenv(service.ENV_TOKEN, killable.token())
    return empty_project


def nth_request(n: int, method: str, path_suffix: str) -> Callable[[httpx.Request], bool]:
    """A predicate true for the ``n``-th request with this method whose path ends so."""
    count = 0

    def match(request: httpx.Request) -> bool:
        nonlocal count
        if request.method == method and request.url.path.rstrip("/").endswith(path_suffix):
            count += 1
            return count == n
        return False

    return match


def kill_during(
    patch: pytest.MonkeyPatch, server: Killable, target: Callable[[httpx.Request], bool]
) -> list[str]:
    """Kill ``server`` right after the target request is sent, before its answer is read.

    httpx's transport (the SDK sends through it) gets a trace hook on that request; httpcore
    calls it once the request body is out. Returns the requests seen, for the assertions.
    """
    real = httpx.HTTPTransport.handle_request
    seen: list[str] = []

    def on_event(name: str, info: dict[str, Any]) -> None:
        if name == "http11.send_request_body.complete":
            seen.append("killed")
            server.kill()

    def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if target(request):
            request.extensions = {**request.extensions, "trace": on_event}
        return real(self, request)

    patch.setattr(httpx.HTTPTransport, "handle_request", handle_request)
    return seen


def error_line(err: str, *fragments: str) -> str:
    """The one ``frontline: error:`` line of ``err`` (the last line; no traceback), holding
    ``fragments``."""
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith("frontline:")]
    assert (
        len(errors) == 1 and lines[-1] == errors[0] and errors[0].startswith("frontline: error: ")
    ), err
    assert "Traceback" not in err, err
    missing = [f for f in fragments if f not in errors[0]]
    assert missing == [], errors[0]
    return errors[0]


def annotations_by_doc(ls: client.LabelStudio, project_id: int) -> dict[str, list[dict[str, Any]]]:
    """doc id -> its annotations (id, annotator, result, gold mark, last update), from the full
    export."""
    keys = ("id", "completed_by", "result", "ground_truth", "was_cancelled", "updated_at")
    return {
        task["data"]["doc_id"]: [{k: a.get(k) for k in keys} for a in task["annotations"]]
        for task in ls.projects.exports.as_json(project_id)
        if task["annotations"]
    }


def write_sheets(folder: Path, *texts: str) -> list[str]:
    """Write annotation sheets into ``folder``; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for text in texts:
        path = folder / f"{text.split()[1]}.sheet"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return paths


# --- a server killed during a push or a pull -------------------------------------------


@pytest.mark.studio
def test_push_killed_midway_fails_clearly_and_resumes_after_a_restart(
    cli_project, killable, monkeypatch, capsys
):
    root, title = ["--root", str(cli_project.root)], ["--project", "killed push"]
    add_articles(cli_project.seeds, [ARTICLE, *generated(range(1))])
    assert main([*root, "--quiet", "push", *title]) == 0
    sheets = write_sheets(cli_project.annotation / "sheets", SHEET, GEN_SHEET)
    assert main([*root, "--quiet", "annotate", *sheets, *title, "--ground-truth"]) == 0
    ls = client.connect(killable.url, killable.token())
    project_id = client.find_project(ls, "killed push").id
    before = annotations_by_doc(ls, project_id)
    assert sorted(before) == ["gen-000", "tiny"] and all(len(a) == 1 for a in before.values())
    articles = add_articles(cli_project.seeds, generated(range(1, N_ARTICLES - 1)))
    assert len(articles) == N_ARTICLES
    capsys.readouterr()

    with monkeypatch.context() as patch:
        seen = kill_during(patch, killable, nth_request(KILLED_BATCH, "POST", "/import"))
        assert main([*root, "push", *title, "--batch-size", str(BATCH)]) == 1
    assert seen.count("killed") == 1 and sum(s.endswith("/import") for s in seen) == KILLED_BATCH
    err = capsys.readouterr().err
    error_line(
        err,
        f"lost the connection to Label Studio at {killable.url}",
        "start the server and run `frontline push` again: it resumes",
    )
    assert killable.token() not in err and not service.is_up(killable.url)

    killable.ensure_up()
    ls = client.connect(killable.url, killable.token())
    survived = client.existing_doc_ids(ls, project_id)
    done = 2 + (KILLED_BATCH - 1) * BATCH  # the killed batch itself is in or not, as the kill fell
    assert done <= sum(survived.values()) <= done + BATCH and set(survived.values()) == {1}
    assert main([*root, "--quiet", "push", *title, "--batch-size", str(BATCH)]) == 0
    assert f"{N_ARTICLES - sum(survived.values())} task(s) imported" in capsys.readouterr().out
    assert client.existing_doc_ids(ls, project_id) == Counter({a.id: 1 for a in articles})
    assert annotations_by_doc(ls, project_id) == before


@pytest.mark.studio
def test_pull_that_loses_the_server_fails_clearly_and_writes_nothing(
    cli_project, killable, monkeypatch, capsys
):
    root, title = ["--root", str(cli_project.root), "--quiet"], ["--project", "lost pull"]
    add_articles(cli_project.seeds, [ARTICLE])
    (sheet,) = write_sheets(cli_project.annotation / "sheets", SHEET)
    assert main([*root, "push", *title]) == 0
    assert (
        main(
            [
                *root,
                "annotate",
                sheet,
                *title,
                "--annotator",
                "ann-1@frontline.local",
                "--ground-truth",
            ]
        )
        == 0
    )
    assert main([*root, "pull", *title]) == 0
    committed, listing = cli_project.gold_export.read_bytes(), sorted(cli_project.exports.iterdir())
    assert main([*root, "annotate", sheet, *title, "--annotator", "ann-2@frontline.local"]) == 0
    ls = client.connect(killable.url, killable.token())
    on_server = annotations_by_doc(ls, client.find_project(ls, "lost pull").id)
    assert len(on_server["tiny"]) == 2  # a pull now would change the committed export
    capsys.readouterr()

    with monkeypatch.context() as patch:
        seen = kill_during(patch, killable, nth_request(1, "GET", "/download"))
        assert main([*root, "pull", *title]) == 1
    assert "killed" in seen
    error_line(
        capsys.readouterr().err,
        f"lost the connection to Label Studio at {killable.url}",
        "run `frontline pull` again: nothing was written",
    )
    assert cli_project.gold_export.read_bytes() == committed
    assert sorted(cli_project.exports.iterdir()) == listing
    (task,) = json.loads(committed)
    assert len(task["annotations"]) == 1


# --- the error messages, without a server ---------------------------------------------

URL = "http://127.0.0.1:9"
LOST = [
    httpx.ConnectError("[Errno 111] Connection refused"),
    httpx.RemoteProtocolError("Server disconnected without sending a response."),
    httpx.ReadError(""),
    httpx.ReadTimeout("timed out"),
    ApiError(status_code=502, body="<html>\n<body>Bad Gateway</body>\n</html>"),
]


@pytest.mark.parametrize("exc", LOST, ids=lambda e: type(e).__name__)
def test_a_lost_server_is_one_line_with_the_url_and_how_to_carry_on(exc):
    with pytest.raises(client.SyncError) as info, client.server_errors(URL, "run it again"):
        raise exc
    message = str(info.value)
    assert "\n" not in message and URL in message and message.endswith("; run it again")
    assert info.value.__cause__ is exc


def test_a_refused_token_or_request_says_so_without_the_resume_hint():
    def failure(exc: Exception) -> str:
        with (
            pytest.raises(client.SyncError) as info,
            client.server_errors(URL, "run it again", token_hint="check the token"),
        ):
            raise exc
        return str(info.value)

    assert failure(ApiError(status_code=401, body={"detail": "Invalid token."})) == (
        f"Label Studio at {URL} refused the API token (HTTP 401: Invalid token.); check the token"
    )
    refused = failure(ApiError(status_code=400, body={"detail": "x" * 500}))
    assert refused.startswith(f"Label Studio at {URL} refused the request (HTTP 400: xxx")
    assert len(refused) < 300 and "run it again" not in refused


def test_other_errors_pass_through():
    with pytest.raises(KeyError), client.server_errors(URL, "run it again"):
        raise KeyError("not a server problem")


# --- the token never leaks -------------------------------------------------------------


def raised_by(argv: list[str]) -> BaseException:
    """What a CLI step raises (``main`` prints it as one ``frontline: error:`` line)."""
    args = build_parser().parse_args(argv)
    with pytest.raises((client.SyncError, CommandError)) as info:
        args.handler(find_project(args.root), args)
    return info.value


def chain_of(exc: BaseException) -> list[BaseException]:
    """``exc`` and its causes and contexts."""
    chain: list[BaseException] = []
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def exception_text(exc: BaseException) -> str:
    """Everything an exception shows: its formatted traceback chain, and each link's str and
    repr."""
    return "".join(traceback.format_exception(exc)) + "".join(f"{e!s} {e!r}" for e in chain_of(exc))


def files_holding(folder: Path, *secrets_: str) -> list[Path]:
    """The files under ``folder`` whose bytes hold any of ``secrets_``."""
    needles = [s.encode() for s in secrets_]
    return [
        p
        for p in sorted(folder.rglob("*"))
        if p.is_file() and any(n in p.read_bytes() for n in needles)
    ]


def run_flow(project: Project, server: Killable, wrong: str, monkeypatch) -> list[BaseException]:
    """With the CLI: start, push, annotate, pull, validate; a call with a wrong token; stop; a call
    with the server down. Returns what the failing calls raise (each checked to fail as
    expected)."""
    root = ["--root", str(project.root)]
    (sheet,) = write_sheets(project.annotation / "sheets", SHEET)
    assert main([*root, "studio", "start", "--port", str(server.port)]) == 0
    try:
        monkeypatch.setenv(service.ENV_URL, server.url)
        assert main([*root, "push"]) == 0
        assert main([*root, "annotate", sheet, "--ground-truth"]) == 0
        assert main([*root, "pull"]) == 0 and main([*root, "validate"]) == 0
        monkeypatch.setenv(service.ENV_TOKEN, wrong)
        assert main([*root, "pull"]) == 1
        denied = raised_by([*root, "push"])
        monkeypatch.delenv(service.ENV_TOKEN)
    finally:
        assert main([*root, "studio", "stop"]) == 0
    assert main([*root, "pull"]) == 1
    down = raised_by([*root, "pull"])
    # the SDK's own error with the server down
    with pytest.raises(client.SyncError) as lost, client.server_errors(server.url, "start it"):
        client.pull(client.connect(server.url, server.token()))
    return [denied, down, lost.value]


@pytest.mark.studio
def test_the_token_never_shows_in_output_logs_exceptions_or_the_checkout(
    empty_project, killable, monkeypatch, capsys, caplog
):
    for var in (service.ENV_TOKEN, service.ENV_USERNAME, service.ENV_PASSWORD, service.ENV_URL):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv(ENV_STATE_DIR, str(killable.state))  # the CLI starts that server again
    service.stop(killable.state)
    token, wrong = killable.token(), secrets.token_hex(20)
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "label_studio_sdk", "fern", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)
    add_articles(empty_project.seeds, [ARTICLE])

    denied, down, lost = run_flow(empty_project, killable, wrong, monkeypatch)

    assert service.api_token(empty_project.state, env={}) == token  # the token the CLI used
    out, err = capsys.readouterr()
    assert f"Label Studio is up at {killable.url}" in out and "1 annotation(s)" in out
    assert f"Label Studio at {killable.url} refused the API token (HTTP 401" in err
    assert f"no Label Studio answers at {killable.url}" in err
    assert token not in out + err and wrong not in out + err
    assert any(isinstance(e, ApiError) and e.status_code == 401 for e in chain_of(denied))
    assert isinstance(down, CommandError) and any(
        isinstance(e, httpx.ConnectError) for e in chain_of(lost)
    )
    for exc in (denied, down, lost):
        assert token not in exception_text(exc) and wrong not in exception_text(exc)
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.__dict__!r}" for r in caplog.records)
    assert (
        "HTTP Request: POST" in logged and "send_request_headers" in logged
    )  # httpx and httpcore logged
    assert token not in logged and wrong not in logged
    assert empty_project.gold_export.exists()
    assert files_holding(empty_project.root, token, wrong) == []
    assert not killable.state.is_relative_to(empty_project.root)
    assert files_holding(killable.state, token) != []  # the state holds it: the search can find it
    log = (killable.state / "studio.log").read_text(errors="replace")
    assert token not in log and wrong not in log
