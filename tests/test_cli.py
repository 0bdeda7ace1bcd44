import json

import pytest

from frontline.cli import build_parser, main


def _subcommand_paths(parser, prefix=()):
    """Every leaf subcommand of the parser, as a tuple of words."""
    actions = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    if not actions:
        yield prefix
        return
    for name, sub in actions[0].choices.items():
        yield from _subcommand_paths(sub, (*prefix, name))


def test_every_step_has_help_with_an_example(capsys):
    paths = list(_subcommand_paths(build_parser()))
    assert ("articles", "check") in paths and ("reproduce",) in paths
    for path in paths:
        with pytest.raises(SystemExit) as exit_:
            main([*path, "--help"])
        assert exit_.value.code == 0
        out = capsys.readouterr().out
        assert "example:\n  frontline " + " ".join(path) in out, path


def test_add_plain_text_then_check_and_stats(empty_project, tmp_path, capsys):
    text = tmp_path / "report.txt"
    text.write_text("Rebels took Aleppo. Government forces fled.\n\nKurds left.", encoding="utf-8")
    root = ["--root", str(empty_project.root), "--quiet"]
    assert main([*root, "articles", "add", str(text), "--title", "T", "--date", "2024-12-01",
                 "--url", "https://example.org/r", "--license", "CC BY 4.0"]) == 0
    assert main([*root, "articles", "check"]) == 0
    assert main([*root, "articles", "stats", "--json"]) == 0
    out = capsys.readouterr().out
    counts = json.loads(out[out.index("["):])
    assert counts == [{"id": "report", "date": "2024-12-01", "license": "CC BY 4.0",
                       "chars": 56, "tokens": 11, "sentences": 3}]


def test_adding_twice_fails_with_the_article_named(empty_project, tmp_path, capsys):
    text = tmp_path / "r.txt"
    text.write_text("Rebels took Aleppo.", encoding="utf-8")
    args = ["--root", str(empty_project.root), "articles", "add", str(text), "--title", "T",
            "--date", "2024-12-01", "--url", "u", "--license", "L"]
    assert main(args) == 0
    assert main(args) == 1
    assert "article 'r': duplicate id" in capsys.readouterr().err


def test_check_fails_on_a_missing_manifest(empty_project, capsys):
    assert main(["--root", str(empty_project.root), "articles", "check"]) == 1
    assert "manifest.json is missing" in capsys.readouterr().err


def test_scheme_config_check_detects_a_stale_config(empty_project, capsys):
    root = ["--root", str(empty_project.root)]
    assert main([*root, "scheme", "config", "--check"]) == 1
    assert "is out of date" in capsys.readouterr().err
    assert main([*root, "scheme", "config"]) == 0
    assert main([*root, "scheme", "config", "--check"]) == 0


def test_unknown_root_is_a_clear_error(tmp_path, capsys):
    assert main(["--root", str(tmp_path), "articles", "check"]) == 1
    assert "is not a Frontline checkout" in capsys.readouterr().err


def test_sentences_of_the_seed_article(repo, capsys):
    assert main(["--root", str(repo.root), "sentences", "000_2deeeecf94034bb2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 16
    assert lines[0].startswith("  0 [0:226] BEIRUT — Iraqi militias backed by Iran")


def test_evaluate_scores_a_prediction_file(repo, tmp_path, capsys):
    from frontline.baselines import load_data
    from frontline.scheme import load_scheme

    data = load_data(repo.corpus, load_scheme(repo.scheme), cache=tmp_path / "cache")
    path = tmp_path / "pred.jsonl"
    path.write_text("\n".join(json.dumps({
        "id": d.doc_id, "entities": [{"start": e.start, "end": e.end, "label": e.label} for e in d.entities],
        "relations": [{"head": r.head, "tail": r.tail, "label": r.label} for r in d.relations]})
        for d in data.test), encoding="utf-8")
    assert main(["--root", str(repo.root), "evaluate", str(path)]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["entities"]["strict"]["f1"] == 1.0 and scores["relations"]["strict"]["f1"] == 1.0
    path.write_text(path.read_text().splitlines()[0] + "\n", encoding="utf-8")
    assert main(["--root", str(repo.root), "evaluate", str(path)]) == 1
    assert "no prediction for document" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_build_refuses_a_number_of_processes_below_one(value, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["build", "--num-proc", value])
    assert exit_.value.code == 2
    assert f"--num-proc: must be a whole number of at least 1, not {value!r}" in capsys.readouterr().err
