"""``frontline push``: one push per project at a time, titles and batch sizes checked before any
request, and no password or token of a ``--url`` in any message.

The concurrency test runs two real ``frontline push`` processes against the session's real
server, through a small proxy on 127.0.0.1 that holds the first push's project-creation request
until the second push has finished, so the two overlap on every run however loaded the machine.
Nothing here reaches beyond 127.0.0.1: a guard refuses any other host name lookup.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fixtures import ARTICLE
from label_studio_sdk.core.api_error import ApiError

from frontline.cli import main
from frontline.core.articles import add_articles, make_article
from frontline.core.scheme import load_scheme
from frontline.studio import client, service

TOKEN = "ab" * 20
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch) -> list[str]:
    """Refuse (and record) any host name lookup other than the loopback's."""
    looked_up: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if str(host) not in LOOPBACK:
            looked_up.append(str(host))
            raise socket.gaierror(socket.EAI_NONAME, f"test guard: no lookup of {host!r}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return looked_up


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert (
        len(lines) == 1 and lines[0].startswith("frontline: error: ") and "Traceback" not in err
    ), err
    return lines[0]


@pytest.fixture()
def project(empty_project, monkeypatch):
    add_articles(empty_project.seeds, [ARTICLE])
    monkeypatch.setenv(service.ENV_TOKEN, TOKEN)
    monkeypatch.delenv(service.ENV_URL, raising=False)
    return empty_project


# --- arguments checked before any request ------------------------------------------------


@pytest.mark.parametrize("size", ["0", "-5", "two", "1.5"])
def test_batch_size_must_be_a_positive_whole_number(project, capsys, size):
    with pytest.raises(SystemExit) as exit_:
        main(["--root", str(project.root), "push", "--batch-size", size])
    assert exit_.value.code == 2
    assert (
        f"argument --batch-size: must be a whole number of at least 1, not {size!r}"
        in capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("ab", "project title 'ab' has 2 character(s): Label Studio titles have 3 to 50"),
        (
            "x" * 51,
            f"project title '{'x' * 51}' has 51 character(s): Label Studio titles have 3 to 50",
        ),
        (
            " gold ",
            "project title ' gold ' starts or ends with a space, which Label Studio strips: give "
            "it as 'gold'",
        ),
    ],
)
def test_project_title_is_checked_before_any_request(project, capsys, title, message):
    url = f"http://127.0.0.1:{service.free_port()}"  # nothing listens: the check must come first
    assert main(["--root", str(project.root), "push", "--url", url, "--project", title]) == 1
    assert one_error_line(capsys.readouterr().err) == f"frontline: error: {message}"


# --- no credentials in messages ---------------------------------------------------------------


def test_redact_hides_passwords_lone_user_names_and_token_parameters():
    assert (
        client.redact("http://user:s3cret@ls.example:8080/x") == "http://user:***@ls.example:8080/x"
    )
    assert client.redact("https://" + TOKEN + "@ls.example") == "https://***@ls.example"
    assert (
        client.redact("http://h/?api_key=k1&page=2&token=t")
        == "http://h/?api_key=***&page=2&token=***"
    )
    assert client.redact("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    assert (
        client.redact_text(f"at http://u:pw@h/ with Token {TOKEN}")
        == "at http://u:***@h/ with Token ***"
    )


def test_a_push_to_a_url_with_credentials_that_answers_nothing(project, capsys, loopback_only):
    url = f"http://user:s3cret@127.0.0.1:{service.free_port()}"
    assert main(["--root", str(project.root), "push", "--url", url]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert (
        f"no Label Studio answers at {client.redact(url)}:" in line and "user:***@127.0.0.1" in line
    )
    assert "s3cret" not in line and TOKEN not in line
    assert loopback_only == []  # "user:s3cret@127.0.0.1" was never looked up as a host name


class Failing(BaseHTTPRequestHandler):
    """A server that says it is up, then fails every API request, quoting the URL it was given."""

    def do_GET(self):
        if self.path.rstrip("/") == "/health":
            self.reply(200, {"status": "UP"})
        else:
            self.reply(
                500,
                {
                    "detail": f"boom at http://user:s3cret@{self.headers['Host']}{self.path} "
                    f"(Authorization: {self.headers.get('Authorization')})"
                },
            )

    do_POST = do_GET

    def reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture()
def failing_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_a_failing_push_to_a_url_with_credentials_shows_neither_password_nor_token(
    project, capsys, failing_server
):
    url = f"http://user:s3cret@127.0.0.1:{failing_server}"
    assert main(["--root", str(project.root), "--quiet", "push", "--url", url]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith(
        f"frontline: error: Label Studio at http://user:***@127.0.0.1:{failing_server} "
        "failed (HTTP 500: boom at http://user:***@127.0.0.1"
    ), line
    assert "s3cret" not in line and TOKEN not in line


def test_server_errors_redact_the_url_in_every_kind_of_message():
    url = "http://user:s3cret@127.0.0.1:9"
    import httpx

    for exc in (
        httpx.ConnectError(f"cannot reach {url}"),
        ApiError(status_code=401, body={"detail": url}),
        ApiError(status_code=400, body=f"bad {url}"),
        ApiError(status_code=503, body=None),
    ):
        with pytest.raises(client.SyncError) as info, client.server_errors(url, "run it again"):
            raise exc
        assert "s3cret" not in str(info.value) and "http://user:***@127.0.0.1:9" in str(info.value)


# --- two pushes at once ------------------------------------------------------------------


class Gate(ThreadingHTTPServer):
    """A proxy to the server on ``upstream`` that holds the first request ``hold`` picks until
    ``release`` is set (``held`` is set when it arrives)."""

    daemon_threads = True

    def __init__(self, upstream: int, hold: Callable[[str, str], bool]):
        super().__init__(("127.0.0.1", 0), Forward)
        self.upstream, self.hold = upstream, hold
        self.held, self.release = threading.Event(), threading.Event()
        self.seen: list[str] = []
        self.lock = threading.Lock()


class Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Gate

    def forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.seen.append(f"{self.command} {self.path}")
            hold = not self.server.held.is_set() and self.server.hold(self.command, self.path)
            if hold:
                self.server.held.set()
        if hold:
            self.server.release.wait(timeout=600)
        upstream = http.client.HTTPConnection("127.0.0.1", self.server.upstream, timeout=600)
        headers = {
            k: v
            for k, v in self.headers.items()
            if k.lower() not in ("host", "connection", "keep-alive", "content-length")
        }
        upstream.request(
            self.command,
            self.path,
            body=body or None,
            headers={**headers, "Host": f"127.0.0.1:{self.server.upstream}"},
        )
        answer = upstream.getresponse()
        data = answer.read()
        upstream.close()
        self.send_response(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in (
                "transfer-encoding",
                "connection",
                "keep-alive",
                "content-length",
            ):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = forward

    def log_message(self, *args):
        pass


@pytest.fixture()
def gate(studio_server) -> Iterator[Gate]:
    proxy = Gate(
        studio_server.port,
        lambda method, path: method == "POST" and path.rstrip("/") == "/api/projects",
    )
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.release.set()
        proxy.shutdown()
        proxy.server_close()


def generated(n: int):
    return [
        make_article(
            f"Rebels entered town {i} near Aleppo.",
            id=f"gen-{i:03d}",
            title=f"Town {i}",
            date="2024-12-03",
            url=f"https://example.org/gen/{i}",
            license="CC BY 4.0",
        )
        for i in range(n)
    ]


@pytest.mark.studio
def test_two_pushes_at_once_make_one_project_and_one_task_per_article(
    empty_project, studio_server, ls, gate
):
    """The second push refuses at once (it does not wait): the first holds the project's lock from
    before its first request until it has imported everything."""
    title = "concurrent push"
    articles = add_articles(empty_project.seeds, [ARTICLE, *generated(29)])
    url = f"http://127.0.0.1:{gate.server_address[1]}"
    env = {
        **os.environ,
        service.ENV_URL: url,
        service.ENV_TOKEN: service.api_token(studio_server.state, env={}),
    }
    argv = [
        sys.executable,
        "-m",
        "frontline",
        "--root",
        str(empty_project.root),
        "--quiet",
        "push",
        "--project",
        title,
        "--batch-size",
        "4",
    ]
    first = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert gate.held.wait(timeout=300), "the first push never asked to create the project"
        second = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    finally:
        gate.release.set()
        out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    assert f"project {title!r} (id " in out and f"{len(articles)} task(s) imported" in out
    assert second.returncode == 1, second.stdout + second.stderr
    line = one_error_line(second.stderr)
    assert line.startswith(
        f"frontline: error: another push to project {title!r} on {url} is running (lock "
    )
    assert line.endswith("; wait for it to finish")
    (project,) = [p for p in ls.projects.list(title=title) if p.title == title]
    assert client.existing_doc_ids(ls, project.id) == Counter({a.id: 1 for a in articles})
    # the lock was released with the first push: a third one runs and finds nothing to import
    third = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert (
        third.returncode == 0 and "found, config unchanged, 0 task(s) imported" in third.stdout
    ), third.stderr


@pytest.mark.studio
def test_a_title_that_differs_only_by_case_or_spaces_is_refused(ls, repo):
    scheme = load_scheme(repo.scheme)
    made = client.push(ls, [ARTICLE], scheme, title="Look Alike", progress=False)
    with pytest.raises(client.SyncError) as info:
        client.push(ls, [ARTICLE], scheme, title="look  alike", progress=False)
    assert str(info.value) == (
        f"project 'Look Alike' (id {made.project_id}) already exists: push to it with "
        "--project 'Look Alike', or choose a title that differs by more than case or spaces"
    )
    assert [p.title for p in ls.projects.list(title="alike")] == ["Look Alike"]


@pytest.mark.studio
def test_a_project_created_meanwhile_by_another_client_wins(ls, repo, monkeypatch):
    scheme = load_scheme(repo.scheme)
    real = ls.projects.create
    other = []

    def create_after_another_client(**kwargs):
        other.append(real(**kwargs))  # another client got there first, after our look-up
        return real(**kwargs)

    monkeypatch.setattr(ls.projects, "create", create_after_another_client)
    with pytest.raises(client.SyncError) as info:
        client.push(ls, [ARTICLE], scheme, title="raced", progress=False)
    monkeypatch.undo()
    (first,) = other
    assert str(info.value).startswith(
        f"project 'raced' was created by another client at the same time "
        f"(id {first.id}); removed the one this push made (id "
    )
    assert [p.id for p in ls.projects.list(title="raced") if p.title == "raced"] == [first.id]
    report = client.push(ls, [ARTICLE], scheme, title="raced", progress=False)
    assert (report.project_id, report.created, report.imported) == (first.id, False, ["tiny"])
