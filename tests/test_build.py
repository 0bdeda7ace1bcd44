import os
import re
import shutil
import subprocess
from collections import Counter

import pytest
from fixtures import ARTICLE, DOC, load, task, tiny_project

from frontline.core.documents import to_result
from frontline.core.paths import Project
from frontline.gold.exports import ExportError, dumps
from frontline.gold.validate import ExportInvalid
from frontline.release.build import build
from frontline.release.splits import split_of

#: The split the rule gives the fixture article (frontline.release.splits).
SPLIT = split_of(ARTICLE.id, ARTICLE.license)


@pytest.fixture()
def project(tmp_path, repo):
    return tiny_project(tmp_path, repo)


def test_build_writes_loadable_typed_configs(project, tmp_path):
    report = build(project)
    assert report.released == ["tiny"] and report.missing == ["zz-unannotated"]
    assert report.counts == {"documents": {SPLIT: 1}, "ner": {SPLIT: 2}, "relations": {SPLIT: 2}}
    docs = load(project.corpus, "documents", tmp_path / "cache")[SPLIT]
    labels = docs.features["entities"].feature["label"].names
    row = docs[0]
    assert row["id"] == "tiny" and row["text"] == ARTICLE.text
    assert [(e["text"], labels[e["label"]]) for e in row["entities"]] == [
        ("Iran", "GPE"),
        ("Iraqi militias", "GROUP"),
        ("Syria", "GPE"),
        ("Rebels", "GROUP"),
        ("Aleppo", "GPE"),
    ]
    ner = load(project.corpus, "ner", tmp_path / "cache")[SPLIT]
    tags = ner.features["ner_tags"].feature.names
    assert [tags[t] for t in ner[1]["ner_tags"]] == ["B-GROUP", "O", "B-GPE", "O"]
    rel = load(project.corpus, "relations", tmp_path / "cache")[SPLIT]
    assert rel[1]["relations"] == [{"head": 0, "tail": 1, "type": "CONTROLS"}]
    assert (
        rel["orig_id"] == ner["orig_id"]
        and ner["doc_id"] == ["tiny", "tiny"]
        and ner["sent_id"] == [0, 1]
    )


def test_rebuild_is_byte_identical(project, tmp_path):
    build(project)
    first = {
        p.relative_to(project.corpus): p.read_bytes()
        for p in sorted(project.corpus.rglob("*"))
        if p.is_file()
    }
    build(project)
    second = {
        p.relative_to(project.corpus): p.read_bytes()
        for p in sorted(project.corpus.rglob("*"))
        if p.is_file()
    }
    assert first == second and len(first) == 5  # the card, three Parquet files and the marker


def test_invalid_export_stops_the_build_and_keeps_the_release(project):
    build(project)
    before = (project.corpus / "README.md").read_bytes()
    bad = to_result(DOC)
    bad[0]["value"]["labels"] = ["COUNTRY"]
    bad[1]["value"]["end"] = 99
    project.gold_export.write_text(dumps([task(bad)]), encoding="utf-8")
    with pytest.raises(ExportInvalid) as err:
        build(project)
    assert len(err.value.problems) == 2
    assert "region e1: unknown entity label 'COUNTRY'" in err.value.problems[0]
    assert (project.corpus / "README.md").read_bytes() == before
    assert not [p for p in project.root.iterdir() if p.name.startswith(".corpus")]


def test_card_statistics_match_the_data(project, tmp_path):
    build(project)
    card = (project.corpus / "README.md").read_text(encoding="utf-8")
    docs = load(project.corpus, "documents", tmp_path / "cache")[SPLIT]
    names = docs.features["entities"].feature["label"].names
    counts = Counter(names[e["label"]] for d in docs for e in d["entities"])
    for label in names:
        row = re.search(rf"^\| entity \| {label} \| .*? \| (\d+) \| (\d+) \|$", card, re.MULTILINE)
        assert row and int(row[2]) == counts[label], label
    assert re.search(rf"^\| {SPLIT} \| 1 \| 2 \| 11 \| 5 \| 3 \|$", card, re.MULTILINE)
    assert "`zz-unannotated`" in card and "no adjudicated gold yet" in card
    assert "**The\nseed article (`000_2deeeecf94034bb2`) carries no stated licence**" in card


def _check_released_corpus(corpus, cache):
    """The released corpus at ``corpus`` loads offline (all three configs) and holds the seed
    article's first sentence as the gold has it."""
    env_before = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        card = (corpus / "README.md").read_text(encoding="utf-8")
        meta_counts = {
            m[0]: int(m[1])
            for m in re.findall(r"- name: (\w+)\n\s+num_bytes: \d+\n\s+num_examples: (\d+)", card)
        }
        docs = load(corpus, "documents", cache)
        seed = [d for d in docs["train"] if d["id"] == "000_2deeeecf94034bb2"][
            0
        ]  # no licence: always train
        names = docs["train"].features["entities"].feature["label"].names
        assert seed["entities"][0] == {
            "id": "e001",
            "start": 0,
            "end": 6,
            "label": names.index("GPE"),
            "text": "BEIRUT",
        }
        assert seed["sentences"][:2] == [{"start": 0, "end": 226}, {"start": 227, "end": 386}]
        assert seed["license"] == "not stated" and seed["url"] == ""
        ner = load(corpus, "ner", cache)
        first = [r for r in ner["train"] if r["id"] == "000_2deeeecf94034bb2-000"][0]
        tags = ner["train"].features["ner_tags"].feature.names
        assert [tags[t] for t in first["ner_tags"][:4]] == ["B-GPE", "O", "B-GROUP", "I-GROUP"]
        assert first["tokens"][:4] == ["BEIRUT", "—", "Iraqi", "militias"]
        rel = load(corpus, "relations", cache)
        assert list(rel["train"].features) == ["entities", "tokens", "relations", "orig_id"]
        row = [r for r in rel["train"] if r["orig_id"] == first["orig_id"]][0]
        assert row["tokens"] == first["tokens"]
        assert row["relations"] == [
            {"head": 1, "tail": 3, "type": "LOCATED_IN"},
            {"head": 2, "tail": 1, "type": "SUPPORTS"},
        ]
        for split in docs:
            assert (
                len(ner[split]) == len(rel[split]) == sum(len(d["sentences"]) for d in docs[split])
            )
            assert meta_counts and len(docs[split]) >= 1
    finally:
        if env_before is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = env_before


def test_released_corpus_loads_from_a_clean_clone(repo, tmp_path):
    """The committed corpus/, loaded offline from a fresh clone with an empty cache."""
    if (repo.root / ".git").exists():
        subprocess.run(["git", "clone", "-q", str(repo.root), str(tmp_path / "clone")], check=True)
        corpus = tmp_path / "clone" / "corpus"
    else:
        corpus = shutil.copytree(repo.corpus, tmp_path / "clone" / "corpus")
    _check_released_corpus(corpus, tmp_path / "cache")


def test_corpus_of_the_checkout_loads_offline(repo, tmp_path):
    """corpus/ as it stands in the checkout (the last build), copied and loaded offline."""
    _check_released_corpus(shutil.copytree(repo.corpus, tmp_path / "corpus"), tmp_path / "cache")


def test_card_loading_code_runs(project, tmp_path, monkeypatch, capsys):
    build(project)
    card = (project.corpus / "README.md").read_text(encoding="utf-8")
    code = re.search(r"## How to load\n\n```python\n(.*?)```", card, re.DOTALL)[1]
    monkeypatch.chdir(project.root)
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "cache"))
    exec(compile(code, "card", "exec"), {})
    assert "tiny [('Iran', 'GPE'), ('Iraqi militias', 'GROUP')" in capsys.readouterr().out


def test_committed_corpus_holds_every_gold_span_and_relation(repo, tmp_path):
    """Lossless: the released documents equal the gold of the committed export, exactly."""
    from datasets import load_dataset

    from frontline.release.build import load_gold
    from frontline.release.dataset import document_from_row

    gold = load_gold(repo)
    rows = load_dataset(str(repo.corpus), "documents", cache_dir=str(tmp_path / "cache"))
    names = gold.scheme.entity_names, gold.scheme.relation_names
    released = sorted(
        (document_from_row(r, *names) for split in rows.values() for r in split),
        key=lambda d: d.doc_id,
    )
    assert released == gold.documents
    assert gold.missing == []
    assert (
        sum(len(d.relations) for d in released)
        == sum(len(d.relations) for d in gold.documents)
        > 800
    )


def test_an_export_without_any_gold_releases_nothing_and_says_so(project):
    build(project)
    before = {p: p.read_bytes() for p in project.corpus.rglob("*") if p.is_file()}
    project.gold_export.write_text(
        dumps([task(to_result(DOC), ground_truth=False)]), encoding="utf-8"
    )
    with pytest.raises(
        ExportError, match="no task has a ground_truth annotation: nothing to release"
    ):
        build(project)
    assert {p: p.read_bytes() for p in project.corpus.rglob("*") if p.is_file()} == before


# --- the output folder: only a build of ours is replaced ------------------------------------

#: The file every build output holds (frontline.release.build.MARKER), named here as the user
#: sees it.
MARKER = ".frontline-build"


def _tree(folder):
    """Every file and folder under ``folder`` (hidden ones too), with the bytes of the files."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
    }


def _clone(folder):
    """A folder that is not a build output: a fake git clone."""
    (folder / ".git" / "objects").mkdir(parents=True)
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (folder / "src").mkdir()
    (folder / "src" / "work.py").write_text("print('a week of work')\n")
    (folder / "README.md").write_text("# my clone\n")
    return folder


def test_build_refuses_an_output_folder_that_is_not_a_build_of_ours(project, tmp_path):
    """`build -o /some/clone` replaced the clone, `.git` and all; `-o annotation` deleted the
    annotation folder. Now a folder that exists and is not a build output is left as it is."""
    from frontline.errors import FrontlineError

    clone = _clone(tmp_path / "clone")
    lookalike = tmp_path / "lookalike"  # our previous output, plus a file of someone's
    build(project, lookalike)
    (lookalike / MARKER).unlink(missing_ok=True)
    (lookalike / "ner" / "notes.txt").write_text("mine\n")
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder\n")
    for output in (clone, project.annotation, project.seeds, lookalike, a_file):
        before = _tree(output) if output.is_dir() else output.read_bytes()
        with pytest.raises(
            FrontlineError, match=rf"^refusing to build into {re.escape(str(output))}: "
        ) as err:
            build(project, output)
        assert "\n" not in str(err.value)
        assert (_tree(output) if output.is_dir() else output.read_bytes()) == before
        assert not [p for p in output.parent.iterdir() if p.name.startswith(f".{output.name}.")]
        assert (output.parent / f".frontline-build-{output.name}.lock").exists() == (
            output == lookalike
        )
    assert (
        "(no .frontline-build file; it holds '.git', 'src'); give a new or empty folder"
        in _refusal(project, clone)
    )
    (lookalike / "README.md").rename(tmp_path / "card.md")
    (lookalike / "ner" / "notes.txt").unlink()
    assert "(no .frontline-build file; it has no README.md)" in _refusal(project, lookalike)
    (tmp_path / "card.md").rename(lookalike / "README.md")
    (lookalike / "ner" / "notes.txt").write_text("mine\n")
    assert "it holds 'ner/notes.txt'" in _refusal(project, lookalike)
    assert "it is a file, not a folder" in _refusal(project, a_file)


def _refusal(project, output):
    from frontline.errors import FrontlineError

    with pytest.raises(FrontlineError) as err:
        build(project, output)
    return str(err.value)


def test_build_refuses_a_symbolic_link_as_its_output(project, tmp_path):
    target = _clone(tmp_path / "clone")
    build(project, tmp_path / "ours")
    for link, to in ((tmp_path / "link", target), (tmp_path / "link-to-ours", tmp_path / "ours")):
        link.symlink_to(to)
        before = _tree(to)
        assert "it is a symbolic link; give the folder itself" in _refusal(project, link)
        assert link.is_symlink() and _tree(to) == before


def test_the_checkout_its_parents_and_the_working_directory_are_refused(
    project, tmp_path, monkeypatch, capsys
):
    """`-o .` in the checkout was a ValueError traceback; `-o ..` would have replaced the
    folder holding the checkout. Both are one clear line now, and nothing moves."""
    from frontline.cli import main

    outer = tmp_path / "outer"
    root = outer / "checkout"
    shutil.copytree(project.root, root, ignore=shutil.ignore_patterns("outer", "cache"))
    (outer / "keep.txt").write_text("a file next to the checkout\n")
    build(Project(root), outer / "built")  # a previous build output, to stand in
    before = _tree(outer)
    cases = [
        (root, "."),
        (root, ".."),
        (root, str(outer)),
        (root, str(root / "annotation" / "..")),
        (outer / "built", "."),
        (root / "annotation", ".."),
    ]
    for cwd, output in cases:
        monkeypatch.chdir(cwd)
        capsys.readouterr()
        assert main(["--root", str(root), "-q", "build", "-o", output]) == 1, (cwd, output)
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(
            "frontline: error: refusing to build into "
        ), err
        assert "Traceback" not in err
        assert ("holds the checkout" in err) != (cwd == outer / "built"), err
        assert ("holds the working directory" in err) == (cwd == outer / "built"), err
        assert _tree(outer) == before
    monkeypatch.chdir(tmp_path)


def test_every_build_output_is_marked_and_the_mark_is_neither_data_nor_published(project, tmp_path):
    from frontline.baselines.suite import dataset_checksum
    from frontline.release.publish import publishable_files

    build(project)
    files = sorted(
        p.relative_to(project.corpus).as_posix() for p in project.corpus.rglob("*") if p.is_file()
    )
    assert files == [
        MARKER,
        "README.md",
        f"documents/{SPLIT}.parquet",
        f"ner/{SPLIT}.parquet",
        f"relations/{SPLIT}.parquet",
    ]
    assert "frontline build" in (project.corpus / MARKER).read_text(encoding="utf-8")
    assert MARKER not in publishable_files(project.corpus)
    assert publishable_files(project.corpus) == ["README.md", *files[2:]]
    unmarked = shutil.copytree(project.corpus, tmp_path / "unmarked")
    (unmarked / MARKER).unlink()
    assert dataset_checksum(unmarked) == dataset_checksum(project.corpus)
    assert (
        load(project.corpus, "ner", tmp_path / "cache")[SPLIT]["id"]
        == load(unmarked, "ner", tmp_path / "cache2")[SPLIT]["id"]
    )
    assert MARKER not in (project.corpus / "README.md").read_text(encoding="utf-8")


def test_a_previous_output_without_the_marker_like_the_committed_corpus_is_replaced(
    repo, project, tmp_path
):
    """corpus/ as committed before the marker existed: README.md and documents/, ner/ and
    relations/ of Parquet files only. It is ours; so is an empty folder."""
    previous = shutil.copytree(
        repo.corpus, tmp_path / "previous", ignore=shutil.ignore_patterns(MARKER)
    )
    assert not (previous / MARKER).exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    for output in (previous, empty):
        build(project, output)
        assert (output / MARKER).is_file() and (output / "ner" / f"{SPLIT}.parquet").is_file()
        assert not (output / "ner" / "train.parquet").exists() or SPLIT == "train"
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(f".{output.name}.")]


def test_leftovers_are_removed_only_when_they_are_ours(project, capsys):
    """A staging folder left by a build made before staging folders were marked (``arrow/``
    and ``corpus/`` only) is removed; one that holds anything else is left, and said so."""
    build(project)
    foreign = project.root / ".corpus.build-abcd1234"
    (foreign / "corpus").mkdir(parents=True)
    (foreign / "notes.txt").write_text("mine\n")
    legacy = project.root / ".corpus.build-legacy_1"
    (legacy / "arrow" / "part-00000").mkdir(parents=True)
    (legacy / "corpus" / "ner").mkdir(parents=True)
    (legacy / "corpus" / "ner" / "train.parquet").write_bytes(b"PAR1")
    capsys.readouterr()
    build(project)
    assert (foreign / "notes.txt").read_text() == "mine\n" and not legacy.exists()
    assert capsys.readouterr().err.splitlines() == [
        f"left {foreign} alone: it is not a staging folder of frontline build",
        f"removed {legacy}: the staging folder of a build that was killed",
    ]
