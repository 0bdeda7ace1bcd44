"""The push -> annotate -> pull -> validate commands against a real server."""

import json

import pytest
from fixtures import ARTICLE, SHEET

from frontline.cli import main
from frontline.core.articles import add_articles
from frontline.gold.exports import gold_documents, read_export
from frontline.studio import service


@pytest.fixture()
def project(empty_project, studio_server, monkeypatch):
    add_articles(empty_project.seeds, [ARTICLE])
    monkeypatch.setenv(service.ENV_TOKEN, service.api_token(studio_server.state, env={}))
    monkeypatch.setenv(service.ENV_URL, studio_server.url)
    return empty_project


@pytest.mark.studio
def test_push_annotate_pull_validate(project, tmp_path, capsys):
    root = ["--root", str(project.root), "--quiet"]
    title = ["--project", "cli flow"]
    assert main([*root, "push", *title]) == 0
    assert "(id " in capsys.readouterr().out
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
                "ann-1@frontline.local",
                "--ground-truth",
            ]
        )
        == 0
    )
    assert "(5 mentions, 2 relations, ground truth)" in capsys.readouterr().out
    assert main([*root, "pull", *title]) == 0
    assert main([*root, "validate"]) == 0
    tasks = read_export(project.gold_export)
    (doc,), missing = gold_documents(tasks)
    assert [e.text for e in doc.entities] == ["Iran", "Iraqi militias", "Syria", "Rebels", "Aleppo"]
    assert missing == []
    assert tasks[0]["annotations"][0]["completed_by"]["email"] == "ann-1@frontline.local"
    # push with lexicon pre-annotations built from that gold: a second project
    assert main([*root, "push", "--project", "cli predicted", "--predictions", "lexicon"]) == 0
    assert main([*root, "pull", "--project", "cli predicted", "-o", str(tmp_path / "p.json")]) == 0
    (task,) = json.loads((tmp_path / "p.json").read_text())
    (prediction,) = task["predictions"]
    assert prediction["model_version"].startswith("lexicon-")
    assert [r["value"]["text"] for r in prediction["result"]] == [
        "Iran",
        "Iraqi militias",
        "Syria",
        "Rebels",
        "Aleppo",
    ]


@pytest.mark.studio
def test_pull_refuses_to_shrink_the_committed_gold(project, capsys):
    root = ["--root", str(project.root), "--quiet"]
    assert main([*root, "push", "--project", "shrink a"]) == 0
    project.exports.mkdir(parents=True)
    gold = [
        {
            "id": 1,
            "data": {"text": ARTICLE.text, "doc_id": "tiny"},
            "annotations": [{"id": 1, "result": [], "ground_truth": True}],
        }
    ]
    project.gold_export.write_text(json.dumps(gold))
    before = project.gold_export.read_bytes()
    assert main([*root, "pull", "--project", "shrink a"]) == 1
    assert "doc tiny: 1 annotation(s) committed, 0 in the new export" in capsys.readouterr().err
    assert project.gold_export.read_bytes() == before


def test_pull_with_the_server_down_fails_clearly_and_touches_nothing(
    empty_project, capsys, monkeypatch
):
    add_articles(empty_project.seeds, [ARTICLE])
    monkeypatch.setenv(service.ENV_TOKEN, "0" * 40)
    url = f"http://127.0.0.1:{service.free_port()}"
    assert main(["--root", str(empty_project.root), "pull", "--url", url]) == 1
    err = capsys.readouterr().err
    assert f"no Label Studio answers at {url}" in err and "0" * 40 not in err
    assert not empty_project.exports.exists()
