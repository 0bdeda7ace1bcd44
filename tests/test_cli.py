import json

import pytest

from frontline.cli import build_parser, commands, main
from frontline.cli.spec import Command, Group
from frontline.errors import FrontlineError, ProblemsError


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
    assert (
        main(
            [
                *root,
                "articles",
                "add",
                str(text),
                "--title",
                "T",
                "--date",
                "2024-12-01",
                "--url",
                "https://example.org/r",
                "--license",
                "CC BY 4.0",
            ]
        )
        == 0
    )
    assert main([*root, "articles", "check"]) == 0
    assert main([*root, "articles", "stats", "--json"]) == 0
    out = capsys.readouterr().out
    counts = json.loads(out[out.index("[") :])
    assert counts == [
        {
            "id": "report",
            "date": "2024-12-01",
            "license": "CC BY 4.0",
            "chars": 56,
            "tokens": 11,
            "sentences": 3,
        }
    ]


def test_adding_twice_fails_with_the_article_named(empty_project, tmp_path, capsys):
    text = tmp_path / "r.txt"
    text.write_text("Rebels took Aleppo.", encoding="utf-8")
    args = [
        "--root",
        str(empty_project.root),
        "articles",
        "add",
        str(text),
        "--title",
        "T",
        "--date",
        "2024-12-01",
        "--url",
        "https://example.org/r",
        "--license",
        "L",
    ]
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


@pytest.fixture(scope="module")
def splits(repo, tmp_path_factory):
    """The built dataset's documents per split (what ``frontline evaluate`` scores against)."""
    from frontline.baselines.suite import load_data
    from frontline.core.scheme import load_scheme

    return load_data(repo.corpus, load_scheme(repo.scheme), cache=tmp_path_factory.mktemp("cache"))


def _gold_lines(path, docs, names=None):
    """``path`` with the gold of ``docs`` as predictions (labels as ids if ``names``: entity
    and relation names)."""

    def label(name, which):
        return name if names is None else names[which].index(name)

    path.write_text(
        "\n".join(
            json.dumps(
                {
                    "id": d.doc_id,
                    "entities": [
                        {"start": e.start, "end": e.end, "label": label(e.label, 0)}
                        for e in d.entities
                    ],
                    "relations": [
                        {"head": r.head, "tail": r.tail, "label": label(r.label, 1)}
                        for r in d.relations
                    ],
                }
            )
            for d in docs
        )
        + "\n",
        encoding="utf-8",
    )
    return path


def test_evaluate_prints_a_table_of_the_scores(repo, splits, tmp_path, capsys):
    path = _gold_lines(tmp_path / "pred.jsonl", splits.test)
    assert main(["--root", str(repo.root), "evaluate", str(path)]) == 0
    perfect = "1.000  1.000  1.000    1.000"
    assert (
        capsys.readouterr().out
        == "\n".join(
            [
                f"pred.jsonl on the test split ({len(splits.test)} documents; "
                "95% CI: 1000 bootstrap resamples of the documents)",
                "entities     precision recall     F1 macro F1  F1 95% CI",
                f"  strict         {perfect}  [1.000, 1.000]",
                f"  exact          {perfect}",
                f"  partial        {perfect}",
                f"  type           {perfect}",
                "relations    precision recall     F1 macro F1  F1 95% CI",
                f"  strict         {perfect}  [1.000, 1.000]",
                f"  boundaries     {perfect}  [1.000, 1.000]",
                "relations predicted in the reverse direction: 0",
                "(per-label F1, relation counts: --json)",
            ]
        )
        + "\n"
    )


def test_evaluate_json_prints_the_whole_record_and_takes_class_label_ids(
    repo, splits, tmp_path, capsys
):
    from frontline.core.scheme import load_scheme

    scheme = load_scheme(repo.scheme)
    path = _gold_lines(
        tmp_path / "pred.jsonl", splits.validation, (scheme.entity_names, scheme.relation_names)
    )
    assert all(
        type(e["label"]) is int
        for line in path.read_text().splitlines()
        for e in json.loads(line)["entities"]
    )
    assert (
        main(["--root", str(repo.root), "evaluate", str(path), "--split", "validation", "--json"])
        == 0
    )
    out = capsys.readouterr().out
    scores = json.loads(out)
    assert out == json.dumps(scores, indent=2, sort_keys=True) + "\n"
    assert sorted(scores) == ["entities", "relations"]
    assert sorted(scores["entities"]) == ["exact", "partial", "strict", "type"]
    assert sorted(scores["relations"]) == ["boundaries", "reversed_direction", "strict"]
    assert scores["entities"]["strict"]["f1"] == 1.0 and scores["entities"]["strict"][
        "f1_ci95"
    ] == [1.0, 1.0]
    assert (
        scores["relations"]["strict"]["f1"] == 1.0
        and scores["relations"]["reversed_direction"] == 0
    )
    assert scores["relations"]["strict"]["fp"] == scores["relations"]["strict"]["fn"] == 0


def test_evaluate_refuses_a_missing_document(repo, splits, tmp_path, capsys):
    path = _gold_lines(tmp_path / "pred.jsonl", splits.test[:1])
    assert main(["--root", str(repo.root), "evaluate", str(path)]) == 1
    missing = sorted(d.doc_id for d in splits.test[1:])
    assert capsys.readouterr().err == f"frontline: error: {len(missing)} problems:\n" + "".join(
        f"  - {path}: no prediction for document {d}\n" for d in missing
    )


def test_evaluate_names_the_split_of_a_file_of_another_split(repo, splits, tmp_path, capsys):
    path = _gold_lines(tmp_path / "pred.jsonl", splits.validation)
    assert main(["--root", str(repo.root), "evaluate", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"frontline: error: {path}: every id belongs to the validation split, "
        "not to the test split scored; use --split validation\n"
    )


def test_evaluate_lists_fifty_problems_then_counts_the_rest(repo, splits, tmp_path, capsys):
    path = tmp_path / "pred.jsonl"
    path.write_text("".join(f'{{"id": "x{k}"}}\n' for k in range(60)), encoding="utf-8")
    assert main(["--root", str(repo.root), "evaluate", str(path)]) == 1
    total = 60 + len(splits.test)
    assert capsys.readouterr().err.split("\n") == [
        f"frontline: error: {total} problems:",
        *(f'  - {path}:{k + 1}: id "x{k}" is not a document of the test split' for k in range(50)),
        f"  ... and {total - 50} more problems",
        "",
    ]


def test_evaluate_help_describes_the_format_and_the_checks(capsys):
    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for phrase in (
        '"entities" and "relations" are required (use [] for none)',
        "integer ClassLabel id",
        "at most 50, then how many more",
        "a file of another split is named as such",
        "a key twice in an object",
        "a mention twice, a relation of a mention with itself",
        "--json prints the whole record",
        "Lines end at \\n only",
    ):
        assert phrase in out, phrase


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_build_refuses_a_number_of_processes_below_one(value, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["build", "--num-proc", value])
    assert exit_.value.code == 2
    assert (
        f"--num-proc: must be a whole number of at least 1, not {value!r}"
        in capsys.readouterr().err
    )


def _declared_paths(steps, prefix=()):
    """Every leaf step of the table ``frontline.cli.commands.STEPS``, with its handler."""
    for step in steps:
        if isinstance(step, Group):
            yield from _declared_paths(step.commands, (*prefix, step.name))
        else:
            assert isinstance(step, Command)
            yield (*prefix, step.name), step.handler


def _leaf(parser, path):
    """The parser of the step ``path``."""
    for name in path:
        (actions,) = (a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
        parser = actions.choices[name]
    return parser


def test_the_parser_is_the_declared_table():
    declared = dict(_declared_paths(commands.STEPS))
    parser = build_parser()
    assert list(_subcommand_paths(parser)) == list(declared)
    for path, handler in declared.items():
        assert _leaf(parser, path).get_default("handler") is handler, path


class _Refused(FrontlineError):
    """An error class main() has never heard of: it is caught for its base class."""


class _Many(ProblemsError):
    max_listed = 2


@pytest.mark.parametrize(
    ("error", "printed"),
    [
        (_Refused("seeds/x.txt: refused"), "frontline: error: seeds/x.txt: refused\n"),
        (
            ProblemsError(["a: bad", "b: bad"], header="not printed"),
            "frontline: error: 2 problems:\n  - a: bad\n  - b: bad\n",
        ),
        (
            _Many(["a", "b", "c", "d"]),
            "frontline: error: 4 problems:\n  - a\n  - b\n  ... and 2 more problems\n",
        ),
    ],
)
def test_main_prints_any_frontline_error_and_exits_1(
    empty_project, monkeypatch, capsys, error, printed
):
    from frontline.cli import core

    def refuse(path):
        raise error

    monkeypatch.setattr(core, "load_scheme", refuse)
    assert main(["--root", str(empty_project.root), "scheme", "show"]) == 1
    assert capsys.readouterr() == ("", printed)


def test_reproduce_runs_each_step_as_typed_and_leaves_its_arguments_alone(
    empty_project, monkeypatch, capsys
):
    """``reproduce`` parses each of its steps as the command line would; ``args`` stays as is."""
    from frontline.core.labelconfig import label_config
    from frontline.core.scheme import load_scheme

    project = empty_project
    project.label_config.write_text(label_config(load_scheme(project.scheme)), encoding="utf-8")
    steps = (("scheme", "config", "--check"), ("scheme", "show"))
    monkeypatch.setattr(commands, "REPRODUCE", steps)
    args = build_parser().parse_args(["--root", str(project.root), "--quiet", "reproduce"])
    before = dict(vars(args))
    assert args.handler(project, args) == 0
    assert vars(args) == before
    out = capsys.readouterr().out
    assert f"{project.label_config} is up to date\nscheme version " in out
    # the project holds one released file: the label config written above
    expected = "every released file (1 file(s) in annotation/label_config.xml, corpus, "
    assert f"reproduce: REPRODUCED: {expected}" in out


def test_reproduce_stops_at_the_first_step_that_fails(empty_project, monkeypatch, capsys):
    steps = (("scheme", "show"), ("studio", "status"), ("scheme", "show"))
    monkeypatch.setattr(commands, "REPRODUCE", steps)
    assert main(["--root", str(empty_project.root), "reproduce"]) == 1
    out = capsys.readouterr().out
    assert out.count("scheme version") == 1 and "no Label Studio server of ours" in out
    assert "reproduce:" not in out
