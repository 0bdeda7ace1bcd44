"""``frontline validate`` and ``frontline build`` read an export by one reader with one set of
rules (issue 16, items 3, 11 and 14): what validate passes, build neither refuses nor drops,
and validate streams the export as build does."""

import copy
import hashlib
import json
import shutil
import sys

import pytest
from fixtures import ARTICLE, DOC, task

from frontline.cli import main
from frontline.core.articles import add_articles
from frontline.core.documents import to_result
from frontline.core.paths import Project
from frontline.core.scheme import load_scheme
from frontline.gold import exports
from frontline.gold.exports import dumps
from frontline.gold.validate import export_problems

OTHER = ARTICLE.__class__(
    **{
        **ARTICLE.__dict__,
        "id": "zz-other",
        "text": "Nothing here.",
        "sha256": hashlib.sha256(b"Nothing here.").hexdigest(),
    }
)


@pytest.fixture()
def project(tmp_path, repo):
    """Two articles, both with gold: the real scheme, guidelines and pins."""
    for name in (
        "annotation/scheme.toml",
        "annotation/guidelines.md",
        "requirements/constraints.txt",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(repo.root / name, tmp_path / name)
    add_articles(tmp_path / "seeds", [ARTICLE, OTHER])
    project = Project(tmp_path)
    project.exports.mkdir(parents=True)
    project.gold_export.write_text(dumps(gold_tasks()), encoding="utf-8")
    return project


def gold_tasks() -> list[dict]:
    return [
        task(copy.deepcopy(to_result(DOC))),
        {**task([], text=OTHER.text, doc_id=OTHER.id), "id": 8},
    ]


def run(project, *args, capsys) -> tuple[int, str, str]:
    code = main(["--root", str(project.root), "--quiet", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def no_read_export(monkeypatch):
    """Fail any call of the non-streaming reader, which holds the whole export in memory."""

    def refuse(path):
        raise AssertionError(f"read_export({path}) called: validate must stream the export")

    monkeypatch.setattr(exports, "read_export", refuse)


def broken_tasks() -> list:
    tasks = gold_tasks()
    tasks[0]["annotations"][0]["result"][1]["value"]["labels"] = ["MILITIA"]
    tasks[0]["annotations"].append(
        {"id": 2, "result": [], "ground_truth": True, "was_cancelled": True}
    )
    twice = {**task([]), "id": 9}
    twice["annotations"].append(
        {"id": 3, "result": [], "ground_truth": True, "was_cancelled": False}
    )
    return [*tasks, twice, 42, {**task([], doc_id="ghost"), "id": 10}]


def test_validate_streams_and_reports_what_export_problems_does(project, monkeypatch, capsys):
    """Issue 16.14: validate read the whole export (1.47 GB for 200 MB); now it streams it as
    build does, with the same messages as the non-streaming check."""
    tasks = broken_tasks()  # dumps sorts tasks, and cannot sort the 42 in: put it in by hand
    project.gold_export.write_text(
        dumps(tasks[:3]).removesuffix("\n]\n") + ",\n 42,\n " + json.dumps(tasks[4]) + "\n]\n",
        encoding="utf-8",
    )
    expected = [
        f"{project.gold_export}: {p}"
        for p in export_problems(
            json.loads(project.gold_export.read_text(encoding="utf-8")),
            {a.id: a for a in (ARTICLE, OTHER)},
            load_scheme(project.scheme),
        )
    ]
    assert len(expected) == 6
    no_read_export(monkeypatch)
    code, out, err = run(project, "validate", capsys=capsys)
    assert code == 1 and out == ""
    assert err == "frontline: error: 6 problem(s):\n" + "".join(f"  - {p}\n" for p in expected)
    assert (
        f"{project.gold_export}: doc tiny task 7 annotation 1 region e2: unknown entity label "
        "'MILITIA'" in err
    )
    assert (
        f"{project.gold_export}: doc tiny task 7 annotation 2: marked ground_truth but cancelled "
        "(was_cancelled: true): a cancelled annotation cannot be the gold; unmark ground_truth or "
        "restore "
        "the annotation"
    ) in err
    assert (
        f"{project.gold_export}: doc tiny task 9 task: 2 ground_truth annotations (1, 3); "
        "adjudicate to "
        "exactly one"
    ) in err


def test_validate_of_a_valid_export_does_not_read_it_whole(project, monkeypatch, capsys):
    no_read_export(monkeypatch)
    assert run(project, "validate", capsys=capsys)[:2] == (
        0,
        f"{project.gold_export}: 2 task(s) OK\n",
    )


def test_validate_a_folder_is_a_clear_error(project, capsys):
    code, out, err = run(project, "validate", str(project.exports), capsys=capsys)
    assert code == 1 and f"{project.exports}: is a folder, not an export" in err


def test_validate_goes_on_after_a_file_it_cannot_read(project, tmp_path, capsys):
    code, out, err = run(
        project, "validate", str(tmp_path / "missing.json"), str(project.gold_export), capsys=capsys
    )
    assert code == 1 and out == f"{project.gold_export}: 2 task(s) OK\n"
    assert (
        err == f"frontline: error: 1 problem(s):\n  - {tmp_path / 'missing.json'}: no such export\n"
    )


def test_validate_refuses_a_gold_export_that_build_would_have_nothing_to_release_from(
    project, capsys
):
    """Issue 16.2: a pull wrote a gold without any ground truth, and validate passed it."""
    tasks = gold_tasks()
    for t in tasks:
        t["annotations"][0]["ground_truth"] = False
    project.gold_export.write_text(dumps(tasks), encoding="utf-8")
    code, out, err = run(project, "validate", capsys=capsys)
    assert code == 1
    assert err == (
        f"frontline: error: 1 problem(s):\n  - {project.gold_export}: no task has a ground_truth "
        "annotation: `frontline build` would have nothing to release\n"
    )
    other = project.exports / "annotator.json"  # any other export may hold no gold
    other.write_text(dumps(tasks), encoding="utf-8")
    assert run(project, "validate", str(other), capsys=capsys)[:2] == (
        0,
        f"{other}: 2 task(s) OK\n",
    )


def cancelled_gold(project) -> str:
    tasks = gold_tasks()
    tasks[0]["annotations"][0]["was_cancelled"] = True
    project.gold_export.write_text(dumps(tasks), encoding="utf-8")
    return (
        f"{project.gold_export}: doc tiny task 7 annotation 1: marked ground_truth but cancelled "
        "(was_cancelled: true): a cancelled annotation cannot be the gold; unmark ground_truth or "
        "restore "
        "the annotation"
    )


def duplicate_key(project) -> str:
    text = dumps(gold_tasks()).replace(
        '"ground_truth": true', '"ground_truth": true, "ground_truth": false', 1
    )
    project.gold_export.write_text(text, encoding="utf-8")
    return (
        f"{project.gold_export}: task 1 (doc tiny, task id 7): key 'ground_truth' twice in "
        "annotations[0]; "
        "JSON readers disagree on which value counts: keep one"
    )


def long_integer(project) -> str:
    limit = sys.get_int_max_str_digits()
    text = dumps(gold_tasks()).replace('"lead_time"', '"x"')
    at = text.index('"id": 8')
    project.gold_export.write_text(
        text[: at + 6] + "1" * (limit + 1) + text[at + 7 :], encoding="utf-8"
    )
    return (
        f"{project.gold_export}: task 2: an integer of {limit + 1:,} digits at character "
        f"{at + 6}, more than "
        f"the {limit:,} digits Python reads"
    )


@pytest.mark.parametrize("make", [cancelled_gold, duplicate_key, long_integer])
def test_validate_and_build_refuse_the_same_export_with_the_same_message(project, make, capsys):
    """A cancelled gold and a duplicate key left an article out of the release silently; an
    integer too long for Python was a traceback."""
    message = make(project)
    code, out, err = run(project, "validate", capsys=capsys)
    assert code == 1 and message in err, err
    code, out, err = run(project, "build", capsys=capsys)
    assert code == 1 and message in err, err
    assert not project.corpus.exists()
