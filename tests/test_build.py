import hashlib
import os
import re
import shutil
import subprocess
from collections import Counter

import pytest
from fixtures import ARTICLE, DOC, task

from frontline.articles import add_articles
from frontline.build import build
from frontline.documents import to_result
from frontline.exports import ExportError, dumps
from frontline.paths import Project
from frontline.splits import split_of
from frontline.validate import ExportInvalid

#: The split the rule gives the fixture article (frontline.splits).
SPLIT = split_of(ARTICLE.id, ARTICLE.license)


@pytest.fixture()
def project(tmp_path, repo):
    """A tiny project: the real scheme, guidelines and pins, one article with gold, one without."""
    for name in ("annotation/scheme.toml", "annotation/guidelines.md", "requirements/constraints.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(repo.root / name, tmp_path / name)
    other = ARTICLE.__class__(**{**ARTICLE.__dict__, "id": "zz-unannotated", "text": "Nothing here.",
                                 "sha256": hashlib.sha256(b"Nothing here.").hexdigest()})
    add_articles(tmp_path / "seeds", [ARTICLE, other])
    project = Project(tmp_path)
    project.exports.mkdir(parents=True)
    project.gold_export.write_text(dumps([task(to_result(DOC))]), encoding="utf-8")
    return project


def load(folder, config, cache):
    from datasets import load_dataset
    return load_dataset(str(folder), config, cache_dir=str(cache))


def test_build_writes_loadable_typed_configs(project, tmp_path):
    report = build(project)
    assert report.released == ["tiny"] and report.missing == ["zz-unannotated"]
    assert report.counts == {"documents": {SPLIT: 1}, "ner": {SPLIT: 2}, "relations": {SPLIT: 2}}
    docs = load(project.corpus, "documents", tmp_path / "cache")[SPLIT]
    labels = docs.features["entities"].feature["label"].names
    row = docs[0]
    assert row["id"] == "tiny" and row["text"] == ARTICLE.text
    assert [(e["text"], labels[e["label"]]) for e in row["entities"]] == [
        ("Iran", "GPE"), ("Iraqi militias", "GROUP"), ("Syria", "GPE"), ("Rebels", "GROUP"), ("Aleppo", "GPE")]
    ner = load(project.corpus, "ner", tmp_path / "cache")[SPLIT]
    tags = ner.features["ner_tags"].feature.names
    assert [tags[t] for t in ner[1]["ner_tags"]] == ["B-GROUP", "O", "B-GPE", "O"]
    rel = load(project.corpus, "relations", tmp_path / "cache")[SPLIT]
    assert rel[1]["relations"] == [{"head": 0, "tail": 1, "type": "CONTROLS"}]
    assert rel["orig_id"] == ner["orig_id"] and ner["doc_id"] == ["tiny", "tiny"] and ner["sent_id"] == [0, 1]


def test_rebuild_is_byte_identical(project, tmp_path):
    build(project)
    first = {p.relative_to(project.corpus): p.read_bytes() for p in sorted(project.corpus.rglob("*")) if p.is_file()}
    build(project)
    second = {p.relative_to(project.corpus): p.read_bytes() for p in sorted(project.corpus.rglob("*")) if p.is_file()}
    assert first == second and len(first) == 4


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
        meta_counts = {m[0]: int(m[1]) for m in re.findall(r"- name: (\w+)\n\s+num_bytes: \d+\n\s+num_examples: (\d+)", card)}
        docs = load(corpus, "documents", cache)
        seed = [d for d in docs["train"] if d["id"] == "000_2deeeecf94034bb2"][0]  # no licence: always train
        names = docs["train"].features["entities"].feature["label"].names
        assert seed["entities"][0] == {"id": "e001", "start": 0, "end": 6, "label": names.index("GPE"), "text": "BEIRUT"}
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
        assert row["relations"] == [{"head": 1, "tail": 3, "type": "LOCATED_IN"},
                                    {"head": 2, "tail": 1, "type": "SUPPORTS"}]
        for split in docs:
            assert len(ner[split]) == len(rel[split]) == sum(len(d["sentences"]) for d in docs[split])
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

    from frontline.build import load_gold
    from frontline.dataset import document_from_row

    gold = load_gold(repo)
    rows = load_dataset(str(repo.corpus), "documents", cache_dir=str(tmp_path / "cache"))
    names = gold.scheme.entity_names, gold.scheme.relation_names
    released = sorted((document_from_row(r, *names) for split in rows.values() for r in split),
                      key=lambda d: d.doc_id)
    assert released == gold.documents
    assert gold.missing == []
    assert sum(len(d.relations) for d in released) == sum(len(d.relations) for d in gold.documents) > 800


def test_an_export_without_any_gold_releases_nothing_and_says_so(project):
    build(project)
    before = {p: p.read_bytes() for p in project.corpus.rglob("*") if p.is_file()}
    project.gold_export.write_text(dumps([task(to_result(DOC), ground_truth=False)]), encoding="utf-8")
    with pytest.raises(ExportError, match="no task has a ground_truth annotation: nothing to release"):
        build(project)
    assert {p: p.read_bytes() for p in project.corpus.rglob("*") if p.is_file()} == before
