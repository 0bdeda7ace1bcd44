import pytest

from frontline.release.publish import PublishError, publish, publishable_files


class RecordingApi:
    """Stands in for the Hub at the network boundary: records the calls publish makes."""

    def __init__(self):
        self.calls = []

    def create_repo(self, *args, **kwargs):
        self.calls.append(("create_repo", args, kwargs))

    def upload_folder(self, **kwargs):
        self.calls.append(("upload_folder", (), kwargs))
        return "https://hub.example/commit/1"


def test_committed_corpus_is_publishable(repo):
    files = publishable_files(repo.corpus)
    assert files[0] == "README.md" and "documents/test.parquet" in files


def test_publish_uploads_exactly_the_card_and_data_files(repo):
    api = RecordingApi()
    assert publish(repo.corpus, "org/frontline", api=api) == "https://hub.example/commit/1"
    (create, upload) = api.calls
    assert create == (
        "create_repo",
        ("org/frontline",),
        {"repo_type": "dataset", "private": False, "exist_ok": True},
    )
    assert upload[2]["allow_patterns"] == publishable_files(repo.corpus)
    assert upload[2]["repo_type"] == "dataset"


def test_unbuilt_or_broken_corpus_is_refused(tmp_path):
    with pytest.raises(PublishError, match="README.md is missing: run `frontline build` first"):
        publishable_files(tmp_path)
    (tmp_path / "README.md").write_text(
        "---\nconfigs:\n- config_name: a\n  data_files:\n  - split: test\n"
        "    path: a/test.parquet\n---\n"
    )
    with pytest.raises(PublishError, match=r"missing: \['a/test.parquet'\]"):
        publishable_files(tmp_path)


# --- checked locally first; every failure one line, no network before the checks pass ------

import socket  # noqa: E402

import httpx2  # noqa: E402
import huggingface_hub  # noqa: E402
from huggingface_hub import constants as hf_constants  # noqa: E402
from huggingface_hub.errors import HfHubHTTPError  # noqa: E402

from frontline.cli import main  # noqa: E402

GOOD_TOKEN = "hf_" + "aB3" * 12


@pytest.fixture()
def network(monkeypatch) -> list[str]:
    """Record and refuse every host name lookup and connection: nothing here may leave the
    machine."""
    attempts: list[str] = []

    def refuse(what):
        def call(*args, **kwargs):
            attempts.append(f"{what} {args[0]!r}")
            raise socket.gaierror(socket.EAI_NONAME, f"test guard: no {what}")

        return call

    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    return attempts


@pytest.fixture()
def hub(monkeypatch, tmp_path) -> list[str]:
    """No token anywhere (environment or `hf auth login` file); the Hub API calls are recorded."""
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(hf_constants, "HF_TOKEN_PATH", str(tmp_path / "hf-home" / "token"))
    calls: list[str] = []
    for name in ("create_repo", "upload_folder", "whoami"):
        real = getattr(huggingface_hub.HfApi, name)

        def record(self, *args, _name=name, _real=real, **kwargs):
            calls.append(_name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(huggingface_hub.HfApi, name, record)
    return calls


@pytest.fixture()
def built(empty_project):
    """A project whose corpus/ holds a card and the one data file it names."""
    corpus = empty_project.corpus
    (corpus / "a").mkdir(parents=True)
    (corpus / "a" / "test.parquet").write_bytes(b"PAR1")
    (corpus / "README.md").write_text(
        "---\nconfigs:\n- config_name: a\n  data_files:\n  - split: test\n"
        "    path: a/test.parquet\n---\n# Frontline\n",
        encoding="utf-8",
    )
    return empty_project


def publish_cli(project, *extra: str) -> int:
    return main(["--root", str(project.root), "publish", "--repo-id", "org/frontline", *extra])


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert (
        len(lines) == 1 and lines[0].startswith("frontline: error: ") and "Traceback" not in err
    ), err
    return lines[0]


def test_no_token_fails_before_any_network_access(built, hub, network, capsys):
    assert publish_cli(built) == 1
    assert one_line(capsys.readouterr().err) == (
        "frontline: error: no Hugging Face token: set HF_TOKEN to a token with write access "
        "(https://huggingface.co/settings/tokens) or run `hf auth login`; nothing was sent"
    )
    assert (hub, network) == ([], [])


@pytest.mark.parametrize(
    "token", ["bogus", "hf_short", "hf_" + "a" * 29, GOOD_TOKEN + "!", " ", "Bearer " + GOOD_TOKEN]
)
def test_a_token_of_the_wrong_shape_fails_before_any_network_access(
    built, hub, network, capsys, monkeypatch, token
):
    monkeypatch.setenv("HF_TOKEN", token)
    assert publish_cli(built) == 1
    line = one_line(capsys.readouterr().err)
    if token.strip():
        assert line == (
            "frontline: error: the token in $HF_TOKEN does not look like a Hugging Face token "
            "(hf_ and at least 30 letters or digits); nothing was sent"
        )
        assert token not in line
    else:
        assert "no Hugging Face token" in line
    assert (hub, network) == ([], [])


def test_a_stored_login_token_is_checked_too(built, hub, network, capsys, tmp_path):
    path = tmp_path / "hf-home" / "token"
    path.parent.mkdir()
    path.write_text("not-a-token\n")
    assert publish_cli(built) == 1
    assert f"the token in {path} does not look like a Hugging Face token" in one_line(
        capsys.readouterr().err
    )
    assert (hub, network) == ([], [])


def test_an_unbuilt_corpus_is_one_line_before_the_token_is_even_looked_at(
    empty_project, hub, network, capsys
):
    assert publish_cli(empty_project) == 1
    assert one_line(capsys.readouterr().err) == (
        f"frontline: error: {empty_project.corpus / 'README.md'} is missing: run "
        "`frontline build` first"
    )
    assert (hub, network) == ([], [])


@pytest.mark.parametrize("repo_id", ["frontline", "org/front/line", "org/front..line", "org/"])
def test_a_repo_id_that_is_not_org_slash_name_is_refused_locally(
    built, hub, network, capsys, monkeypatch, repo_id
):
    monkeypatch.setenv("HF_TOKEN", GOOD_TOKEN)
    assert main(["--root", str(built.root), "publish", "--repo-id", repo_id]) == 1
    assert f"--repo-id {repo_id!r} is not ORG/NAME" in one_line(capsys.readouterr().err)
    assert (hub, network) == ([], [])


def test_the_hub_out_of_reach_is_one_line(built, hub, network, capsys, monkeypatch):
    """A well-shaped token: the real client goes for the Hub, the guard refuses the name lookup."""
    monkeypatch.setenv("HF_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    assert publish_cli(built) == 1
    line = one_line(capsys.readouterr().err)
    assert line.startswith(
        "frontline: error: could not reach the Hugging Face Hub to create org/frontline ("
    )
    assert line.endswith("): check the network and run `frontline publish` again"), line
    assert GOOD_TOKEN not in line
    assert hub == ["create_repo"] and network and all("huggingface.co" in a for a in network)


class FailingApi:
    """The Hub answering with an HTTP error (whose text holds the token, to check it is hidden)."""

    def __init__(self, status: int, message: str = ""):
        self.status, self.message = status, message

    def create_repo(self, repo_id, **kwargs):
        request = httpx2.Request("POST", "https://huggingface.co/api/repos/create")
        response = httpx2.Response(self.status, request=request)
        raise HfHubHTTPError(
            f"{self.status} Client Error for url: {request.url} (token {GOOD_TOKEN})\n\nmore lines",
            response=response,
            server_message=self.message,
        )

    def upload_folder(self, **kwargs):
        raise AssertionError("no upload after a failed create_repo")


@pytest.mark.parametrize(
    ("status", "server", "expected"),
    [
        (
            401,
            "Invalid credentials in Authorization header",
            "the Hugging Face Hub refused the token in $HF_TOKEN (HTTP 401: Invalid credentials in "
            "Authorization header): check it, or make a new one at "
            "https://huggingface.co/settings/tokens",
        ),
        (
            403,
            'You don\'t have the rights to create a dataset under the namespace "org"',
            "the token in $HF_TOKEN may not create or write org/frontline (HTTP 403: You don't "
            'have the rights to create a dataset under the namespace "org"): use a token with '
            "write access to org",
        ),
        (
            500,
            "",
            "the Hugging Face Hub failed to create org/frontline (HTTP 500); run "
            "`frontline publish` again later",
        ),
    ],
)
def test_http_errors_of_the_hub_are_one_line_without_the_token(
    built, hub, capsys, monkeypatch, status, server, expected
):
    monkeypatch.setenv("HF_TOKEN", GOOD_TOKEN)
    monkeypatch.setattr("frontline.release.publish.HfApi", lambda token: FailingApi(status, server))
    assert publish_cli(built) == 1
    line = one_line(capsys.readouterr().err)
    assert line == f"frontline: error: {expected}"
    assert GOOD_TOKEN not in line


def test_dry_run_lists_the_files_and_sends_nothing(built, hub, network, capsys):
    assert publish_cli(built, "--dry-run") == 0
    assert capsys.readouterr().out.strip() == "would upload: README.md, a/test.parquet"
    assert (hub, network) == ([], [])
