"""Label Studio on a real, throwaway PostgreSQL cluster: ``frontline studio start --postgres URL``,
then push -> annotate -> pull -> build, with the data provably in PostgreSQL and the database
password in no message, record or log.

The cluster is Debian's PostgreSQL (``initdb``/``pg_ctl`` from
``/usr/lib/postgresql/<version>/bin``, installed by scripts/install-system-deps.sh), in a fresh
folder under the system's temporary
folder, listening on a free port of 127.0.0.1 only, with its unix socket in that folder. initdb
refuses to run as root, so as root the cluster is made and run as the unprivileged ``postgres``
system user (the package's) through ``runuser``; the folder is created for it alone. Every wait is
bounded; the server and the cluster are stopped and the folder removed whatever happens.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from fixtures import ARTICLE, SHEET

from frontline.cli import main
from frontline.core.articles import add_articles
from frontline.core.paths import Project
from frontline.gold.exports import gold_documents, read_export
from frontline.studio import service

USER, DATABASE = "frontline", "labelstudio"
PASSWORD = "pg-S3cret:w/at@%-7b1e"  # characters a URL must percent-encode: decoded by --postgres
REPO = Path(__file__).resolve().parents[1]


def postgres_bin() -> Path:
    """The folder of Debian's initdb and pg_ctl (the newest version), else the PATH's."""
    for folder in sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    ):
        if os.access(f"{folder}/initdb", os.X_OK) and os.access(f"{folder}/pg_ctl", os.X_OK):
            return Path(folder)
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    pytest.fail(
        "PostgreSQL's initdb and pg_ctl are not installed: run scripts/install-system-deps.sh "
        "(Debian's postgresql package)"
    )


@dataclass(frozen=True)
class Cluster:
    folder: Path
    port: int
    run_as: tuple[str, ...]  # the command prefix that runs a program as the cluster's owner
    bin: Path

    @property
    def url(self) -> str:
        return f"postgresql://{USER}:{quote(PASSWORD, safe='')}@127.0.0.1:{self.port}/{DATABASE}"

    def run(self, program: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [*self.run_as, str(self.bin / program), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            cwd=self.folder,
            check=False,
        )
        assert done.returncode == 0, (
            f"{program} {args} failed ({done.returncode}): {done.stdout}{done.stderr}"
        )
        return done

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run ``statement`` as the superuser over the cluster's unix socket; its unaligned
        output."""
        return self.run(
            "psql",
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.folder),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-c",
            statement,
            timeout=30,
        ).stdout.strip()


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """A throwaway PostgreSQL cluster with a database and a password-protected owner of it."""
    bin_ = postgres_bin()
    # mode 0700, in /tmp as root (the postgres user must reach it: pytest's folders are 0700 root)
    folder = Path(
        tempfile.mkdtemp(prefix="frontline-pg-", dir="/tmp" if os.geteuid() == 0 else None)
    )
    run_as: tuple[str, ...] = ()
    if os.geteuid() == 0:  # initdb: "cannot be run as root"
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder)
            pytest.fail(
                "as root the test cluster runs as the `postgres` system user, which Debian's "
                "postgresql package creates: run scripts/install-system-deps.sh"
            )
        os.chown(folder, owner.pw_uid, owner.pw_gid)
        run_as = ("runuser", "-u", "postgres", "--")
    cluster = Cluster(folder, service.free_port(), run_as, bin_)
    data = str(folder / "data")
    started = False
    try:
        cluster.run(
            "initdb",
            "-D",
            data,
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
            timeout=120,
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {cluster.port} -k {folder} -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off"
        )
        started = True  # a timed-out start may still bring the server up: stop it in any case
        cluster.run(
            "pg_ctl",
            "-D",
            data,
            "-l",
            str(folder / "postgres.log"),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "start",
            timeout=90,
        )
        cluster.sql(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'")
        cluster.sql(f"CREATE DATABASE {DATABASE} OWNER {USER}")
        yield cluster
    finally:
        try:
            if started:
                for mode in ("fast", "immediate"):
                    done = subprocess.run(
                        [
                            *run_as,
                            str(bin_ / "pg_ctl"),
                            "-D",
                            data,
                            "-m",
                            mode,
                            "-w",
                            "-t",
                            "30",
                            "stop",
                        ],
                        capture_output=True,
                        timeout=60,
                        check=False,
                    )
                    if done.returncode == 0 or not (folder / "data" / "postmaster.pid").exists():
                        break
        finally:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture()
def project(tmp_path: Path) -> Project:
    """A tiny project (a tmp copy): the real scheme, guidelines and pins, the fixture article."""
    for name in (
        "annotation/scheme.toml",
        "annotation/guidelines.md",
        "requirements/constraints.txt",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, tmp_path / name)
    add_articles(tmp_path / "seeds", [ARTICLE])
    return Project(tmp_path)


# --- without a server ---------------------------------------------------------------------


def test_url_becomes_label_studio_settings_and_inherited_ones_are_dropped(tmp_path):
    database = service.postgres_database(
        "postgresql://team%40lab:p%2Fw%3A1@db.example:6543/label%20studio"
    )
    assert (database.user, database.password, database.host, database.port, database.dbname) == (
        "team@lab",
        "p/w:1",
        "db.example",
        6543,
        "label studio",
    )
    assert database.shown == "postgresql://team%40lab@db.example:6543/label%20studio"
    assert "p/w" not in repr(database) and "p%2Fw" not in repr(database)
    assert service.postgres_database("postgres://u@127.0.0.1/db").port == 5432
    creds = service.Credentials("u@x.y", "p", "0" * 40)
    inherited = {
        "LABEL_STUDIO_POSTGRE_PASSWORD": "old",
        "HEARTEX_POSTGRE_HOST": "elsewhere",
        "POSTGRE_PORT": "1",
        "LABEL_STUDIO_DJANGO_DB": "sqlite",
        "DATABASE_NAME": "/elsewhere.sqlite3",
        "PATH": "/bin",
    }
    env = service.server_env(tmp_path, creds, base=inherited, database=database)
    assert {k: v for k, v in env.items() if "POSTGRE" in k or "DJANGO" in k or "DATABASE" in k} == {
        "DJANGO_DB": "default",
        "POSTGRE_NAME": "label studio",
        "POSTGRE_USER": "team@lab",
        "POSTGRE_PASSWORD": "p/w:1",
        "POSTGRE_HOST": "db.example",
        "POSTGRE_PORT": "6543",
    }
    sqlite = service.server_env(tmp_path, creds, base=inherited)
    assert sqlite["DJANGO_DB"] == "sqlite" and sqlite["PATH"] == "/bin"
    assert not [
        k
        for k in sqlite
        if "POSTGRE" in k or k.endswith("DJANGO_DB") and k != "DJANGO_DB" or "DATABASE_NAME" in k
    ]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("mysql://u:hunter2@h/db", "its scheme is 'mysql', not postgresql"),
        ("postgresql://u:hunter2@/db", "no host"),
        ("postgresql://u:hunter2@h:5432", "no database name after the host"),
        ("postgresql://:hunter2@h/db", "no user name"),
        ("postgresql://u:hunter2@h:notaport/db", "Port could not be cast to integer value"),
        (
            "postgresql://u:hunter2@h/db?sslmode=require",
            "options after '?' or '#' are not supported",
        ),
    ],
)
def test_a_url_that_is_not_one_is_refused_without_its_password(url, why):
    with pytest.raises(service.StudioError) as error:
        service.postgres_database(url)
    assert why in str(error.value) and "hunter2" not in str(error.value)


# --- on a real cluster ---------------------------------------------------------------------


@pytest.mark.studio
def test_a_database_that_refuses_is_named_before_any_server_starts(
    cluster, project, capsys, monkeypatch
):
    for var in (service.ENV_TOKEN, service.ENV_USERNAME, service.ENV_PASSWORD, service.ENV_URL):
        monkeypatch.delenv(var, raising=False)
    wrong = "not-the-Pa55word"
    monkeypatch.setenv(
        service.ENV_POSTGRES, f"postgresql://{USER}:{wrong}@127.0.0.1:{cluster.port}/{DATABASE}"
    )
    assert (
        main(["--root", str(project.root), "studio", "start", "--port", str(service.free_port())])
        == 1
    )
    err = capsys.readouterr().err
    assert (
        f"PostgreSQL database '{DATABASE}' on 127.0.0.1 port {cluster.port} (user '{USER}') "
        "does not answer" in err
    ), err
    assert "password authentication failed" in err and wrong not in err and "Traceback" not in err
    assert not (project.state / "studio.json").exists() and not (project.state / "studio").exists()
    monkeypatch.delenv(service.ENV_POSTGRES)
    assert (
        main(
            [
                "--root",
                str(project.root),
                "studio",
                "start",
                "--postgres",
                f"postgresql://{USER}:{wrong}@127.0.0.1/",
            ]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "is not a PostgreSQL URL (no database name after the host)" in err and wrong not in err


@pytest.mark.studio
def test_push_annotate_pull_build_on_postgres(cluster, project, tmp_path, capsys, monkeypatch):
    for var in (
        service.ENV_TOKEN,
        service.ENV_USERNAME,
        service.ENV_PASSWORD,
        service.ENV_URL,
        service.ENV_POSTGRES,
    ):
        monkeypatch.delenv(var, raising=False)
    root = ["--root", str(project.root), "--quiet"]
    port = service.free_port()
    shown = f"postgresql://{USER}@127.0.0.1:{cluster.port}/{DATABASE}"
    try:
        assert main([*root, "studio", "start", "--port", str(port), "--postgres", cluster.url]) == 0
        out = capsys.readouterr().out
        assert (
            f"Label Studio is up at http://127.0.0.1:{port}" in out
            and f"database: PostgreSQL {shown}" in out
        )
        record = json.loads((project.state / "studio.json").read_text())
        assert record["backend"] == "postgresql" and record["database"] == shown
        assert main([*root, "studio", "status"]) == 0
        assert f"database: PostgreSQL {shown}) is up" in capsys.readouterr().out

        monkeypatch.setenv(service.ENV_URL, f"http://127.0.0.1:{port}")
        title = ["--project", "team on postgres"]
        assert main([*root, "push", *title]) == 0
        sheet = tmp_path / "tiny.sheet"
        sheet.write_text(SHEET, encoding="utf-8")
        assert (
            main(
                [
                    *root,
                    "annotate",
                    str(sheet),
                    *title,
                    "--annotator",
                    "ann-pg@frontline.local",
                    "--ground-truth",
                ]
            )
            == 0
        )
        assert "(5 mentions, 2 relations, ground truth)" in capsys.readouterr().out
        assert main([*root, "pull", *title]) == 0
        tasks = read_export(project.gold_export)
        (doc,), missing = gold_documents(tasks)
        assert [e.text for e in doc.entities] == [
            "Iran",
            "Iraqi militias",
            "Syria",
            "Rebels",
            "Aleppo",
        ]
        assert [r.label for r in doc.relations] == ["SUPPORTS", "CONTROLS"] and missing == []
        assert tasks[0]["annotations"][0]["completed_by"]["email"] == "ann-pg@frontline.local"

        # the data is in PostgreSQL, not in an SQLite file of the data dir
        assert (
            cluster.sql("SELECT count(*) FROM task_completion WHERE ground_truth", DATABASE) == "1"
        )
        assert (
            cluster.sql(
                "SELECT email FROM htx_user WHERE email = 'ann-pg@frontline.local'", DATABASE
            )
            == "ann-pg@frontline.local"
        )
        assert list((project.state / "studio").rglob("*.sqlite3")) == []

        assert main([*root, "build"]) == 0
        assert "1 article(s) released, 0 without gold" in capsys.readouterr().out
    finally:
        main(["--root", str(project.root), "studio", "stop"])
    assert service.port_is_free(port) and not (project.state / "studio.json").exists()
    secret = (PASSWORD, quote(PASSWORD, safe=""))
    out = capsys.readouterr()
    for text in (
        out.out,
        out.err,
        (project.state / "studio.log").read_text(errors="replace"),
        *(p.read_text(errors="replace") for p in project.state.glob("*.json")),
    ):
        assert not any(s in text for s in secret)
