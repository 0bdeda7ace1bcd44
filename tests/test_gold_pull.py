"""``frontline pull``'s loss guard (issue 16.2), with the server's answer stood in for: the
server side of ``pull`` is covered by the studio tests; this is what the command does with it."""

import copy
import json

import pytest
from fixtures import ARTICLE, DOC, task

from frontline.cli import main
from frontline.cli import studio as studio_cli
from frontline.core.articles import add_articles
from frontline.core.documents import to_result
from frontline.gold.exports import dumps
from frontline.studio import client


def annotation(result, *, ground_truth=True):
    return {
        "id": 1,
        "result": copy.deepcopy(result),
        "ground_truth": ground_truth,
        "was_cancelled": False,
        "completed_by": {"id": 2, "email": "ann-1@frontline.local"},
    }


@pytest.fixture()
def project(empty_project):
    add_articles(empty_project.seeds, [ARTICLE])
    empty_project.exports.mkdir(parents=True)
    empty_project.gold_export.write_text(
        dumps([{**task([]), "annotations": [annotation(to_result(DOC))]}]), encoding="utf-8"
    )
    return empty_project


def serve(monkeypatch, annotations):
    """The server answers ``pull`` with the one task holding ``annotations``."""
    answer = [{**task([]), "annotations": annotations}]
    monkeypatch.setattr(studio_cli, "_client", lambda project, args: None)
    monkeypatch.setattr(client, "pull", lambda ls, title: copy.deepcopy(answer))
    return answer


LOST = [
    "doc tiny: 1 ground truth(s) committed, 0 in the new export",
    "doc tiny annotator ann-1@frontline.local: 5 region(s) committed, 0 in the new export",
    "doc tiny annotator ann-1@frontline.local: 3 relation(s) committed, 0 in the new export",
]


def test_pull_refuses_as_many_empty_annotations_as_the_gold_has(project, monkeypatch, capsys):
    """The case of the issue: the count of annotations per article did not change, so the
    gold was replaced by one with no region and no ground truth."""
    serve(monkeypatch, [annotation([], ground_truth=False)])
    before = project.gold_export.read_bytes()
    assert main(["--root", str(project.root), "pull"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"frontline: error: {project.gold_export}: the new export would lose 5 region(s), "
        "3 relation(s) and 1 ground truth(s) in 1 task(s) (use --force to replace it anyway):\n"
    )
    assert all(f"  - {line}\n" in err for line in LOST), err
    assert project.gold_export.read_bytes() == before


def test_force_still_refuses_to_drop_every_ground_truth_unless_told_twice(
    project, monkeypatch, capsys
):
    answer = serve(monkeypatch, [annotation([], ground_truth=False)])
    before = project.gold_export.read_bytes()
    assert main(["--root", str(project.root), "pull", "--force"]) == 1
    err = capsys.readouterr().err
    assert (
        "and it has no ground truth left (the committed one has 1): refused even with --force; "
        "pass --force --allow-empty to write it anyway:\n" in err
    )
    assert all(f"  - {line}\n" in err for line in LOST), err
    assert project.gold_export.read_bytes() == before
    assert main(["--root", str(project.root), "pull", "--allow-empty"]) == 1  # told once
    assert "use --force to replace it anyway" in capsys.readouterr().err
    assert project.gold_export.read_bytes() == before

    assert main(["--root", str(project.root), "pull", "--force", "--allow-empty"]) == 0
    out, err = capsys.readouterr()
    assert err.startswith(
        f"frontline: warning: {project.gold_export}: the new export loses 5 region(s), "
        "3 relation(s) and 1 ground truth(s) in 1 task(s); written anyway (--force):\n"
    )
    assert all(f"  - {line}\n" in err for line in LOST), err
    assert out == f"wrote {project.gold_export}: 1 task(s), 1 annotation(s), 0 ground truth(s)\n"
    assert json.loads(project.gold_export.read_text(encoding="utf-8")) == json.loads(dumps(answer))


def test_force_shows_the_loss_and_writes_when_gold_is_left(project, monkeypatch, capsys):
    answer = serve(monkeypatch, [annotation(to_result(DOC)[:5])])  # the relations deleted, gold
    assert main(["--root", str(project.root), "pull"]) == 1
    assert main(["--root", str(project.root), "pull", "--force"]) == 0
    out, err = capsys.readouterr()
    assert err.endswith(
        f"frontline: warning: {project.gold_export}: the new export loses 3 relation(s) in "
        "1 task(s); written anyway (--force):\n  - doc tiny annotator ann-1@frontline.local: "
        "3 relation(s) "
        "committed, 0 in the new export\n"
    )
    assert out == f"wrote {project.gold_export}: 1 task(s), 1 annotation(s), 1 ground truth(s)\n"
    assert json.loads(project.gold_export.read_text(encoding="utf-8")) == json.loads(dumps(answer))


def test_pull_without_loss_writes_without_force(project, monkeypatch, capsys):
    more = annotation(to_result(DOC))
    serve(
        monkeypatch,
        [
            annotation(to_result(DOC)),
            {
                **more,
                "id": 2,
                "ground_truth": False,
                "completed_by": {"id": 3, "email": "ann-2@frontline.local"},
            },
        ],
    )
    assert main(["--root", str(project.root), "pull"]) == 0
    out, err = capsys.readouterr()
    assert (
        err == ""
        and out == f"wrote {project.gold_export}: 1 task(s), 2 annotation(s), 1 ground truth(s)\n"
    )
    assert main(["--root", str(project.root), "pull"]) == 0
    assert capsys.readouterr().out.startswith(f"unchanged: {project.gold_export}")
