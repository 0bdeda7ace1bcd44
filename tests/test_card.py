"""The dataset card: its sections, and the parts generated from the data (instances, biases,
rare labels, escaped tables)."""

import dataclasses
import json
import re
from collections import Counter
from pathlib import Path

import jinja2
import jinja2.meta
import pytest
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from fixtures import ARTICLE, load, tiny_project
from huggingface_hub import DatasetCard

from frontline.core.articles import load_articles
from frontline.core.markdown import markdown_table
from frontline.core.scheme import load_scheme
from frontline.release import card
from frontline.release.build import build
from frontline.release.card import RowCounts
from frontline.release.dataset import DATASET_VERSION, features


@pytest.fixture()
def project(tmp_path, repo):
    return tiny_project(tmp_path, repo, title="A | B", topic="Kenya (post-election violence)")


def _headings(text):
    return [line for line in text.splitlines() if re.match(r"#{1,4} ", line)]


@pytest.mark.parametrize("which", ["tiny", "released"])
def test_every_section_of_the_template_is_there_in_order(which, project, repo):
    if which == "tiny":
        build(project)
        text = (project.corpus / "README.md").read_text(encoding="utf-8")
    else:
        text = (repo.corpus / "README.md").read_text(encoding="utf-8")
    headings = _headings(text.split("\n---\n", 1)[1])
    missing = [h for h in card.SECTIONS if h not in headings]
    assert not missing
    assert [h for h in headings if h in card.SECTIONS] == list(card.SECTIONS)
    assert (
        "**Point of Contact:** the issue tracker of the repository this card is published with."
        in text
    )
    assert re.search(rf"^version: {re.escape(DATASET_VERSION)}$", text, re.MULTILINE)
    assert f"Dataset version **{DATASET_VERSION}**" in text
    assert all(f"**{v}**" in text for v in (DATASET_VERSION, "1.2.0", "1.1.0", "1.0.0"))
    ours = re.search(r"@misc\{frontline2026,\n(.*?)\n\}", text, re.DOTALL)[1]
    assert (
        "year         = {2026}" in ours
        and "howpublished" in ours
        and "url" not in ours
        and "http" not in ours
    )


def _instances(text):
    """The JSON blocks of the Data Instances section: relations, ner, documents excerpt."""
    section = text.split("### Data Instances", 1)[1].split("### Data Fields", 1)[0]
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, re.DOTALL)]


def _check_instances(corpus, cache):
    text = (corpus / "README.md").read_text(encoding="utf-8")
    split = re.search(r"The first row of `relations` \(split `(\w+)`\)", text)[1]
    relations, ner, excerpt = _instances(text)
    first = {
        config: load(corpus, config, cache)[split][0]
        for config in ("relations", "ner", "documents")
    }
    assert relations == first["relations"] and list(relations) == list(first["relations"])
    assert ner == first["ner"] and ner["orig_id"] == relations["orig_id"]
    doc = first["documents"]
    assert set(excerpt) == set(doc) and excerpt["text"] == doc["text"][: card.EXCERPT_CHARS]
    for key, value in excerpt.items():
        if isinstance(value, list):
            assert value == doc[key][: card.EXCERPT_ITEMS], key
        elif key != "text":
            assert value == doc[key], key
    return split, first


def test_the_data_instances_are_the_first_rows_of_the_built_data(project, tmp_path):
    build(project)
    split, first = _check_instances(project.corpus, tmp_path / "cache")
    assert first["documents"]["id"] == "tiny" and first["relations"]["tokens"][:2] == [
        "Iran",
        "backs",
    ]


def test_the_released_cards_instances_are_the_first_rows_of_the_release(repo, tmp_path):
    split, first = _check_instances(repo.corpus, tmp_path / "cache")
    assert split == "train" and first["documents"]["id"] == "000_2deeeecf94034bb2"


def _table_rows(text, header):
    """The body rows of the Markdown table whose header line is ``header``, cells split on
    unescaped ``|``."""
    lines = text.split(header + "\n", 1)[1].splitlines()[1:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        rows.append([c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_year_and_region_counts_are_those_of_the_manifest(repo):
    manifest = json.loads((repo.seeds / "manifest.json").read_text(encoding="utf-8"))["articles"]
    text = (repo.corpus / "README.md").read_text(encoding="utf-8")
    assert "Every article of `seeds/` is in this release." in text  # so the manifest is the release
    years = Counter(a["date"][:4] for a in manifest)
    table = _table_rows(text, "| year | articles | train | validation | test |")
    assert {row[0]: int(row[1]) for row in table} == years
    assert all(int(row[1]) == sum(map(int, row[2:])) for row in table)
    regions = Counter(card.place_of(a["topic"])[1] for a in manifest)
    places = Counter(card.place_of(a["topic"]) for a in manifest)
    table = _table_rows(text, "| region | articles | share | places (articles) |")
    assert {row[0]: int(row[1]) for row in table} == regions and sum(regions.values()) == len(
        manifest
    )
    for region, _, _, listed in table:
        found = dict(re.findall(r"(.+?) \((\d+)\)(?:, |$)", listed))
        assert {p: int(n) for p, n in found.items()} == {
            p: n for (p, r), n in places.items() if r == region
        }
    adjacent = sum("conflict-adjacent" in a["topic"].lower() for a in manifest)
    assert f'{adjacent} of the {len(manifest)} article(s) are marked "conflict-adjacent"' in text


def test_the_place_of_a_topic_is_the_first_place_it_names():
    assert card.place_of("Israel / Palestine and Iraq war (Bush Middle East trip)") == (
        "Israel/Palestine",
        "Middle East and North Africa",
    )
    assert card.place_of("India / Pakistan / Kashmir conflict (UN OHCHR report)") == (
        "India/Kashmir",
        "South Asia",
    )
    assert card.place_of("Russia / Ukraine / NATO (US armoured brigade in Poland)") == (
        "Russia",
        "Europe and the Caucasus",
    )
    assert card.place_of("Somali piracy / Gulf of Aden (Sirius Star)") == (
        "Somalia",
        "Sub-Saharan Africa",
    )
    assert card.place_of("Iran; US military planning") == ("Iran", "Middle East and North Africa")
    assert card.place_of("Terrorism / al-Qaeda (Northwest Flight 253; Yemen, Nigeria, USA)") == (
        "Terrorism / al-Qaeda",
        card.THEMATIC,
    )


def test_every_table_cell_escapes_the_pipe(repo):
    assert (
        markdown_table(("a|b", "c"), [("x | y", "z\nw")])
        == "| a\\|b | c |\n|---|---|\n| x \\| y | z w |"
    )
    other = ARTICLE.__class__(
        **{**ARTICLE.__dict__, "id": "p", "title": "Israel | Gaza", "attribution": "A|B"}
    )
    table = card.source_table([other], {"p": "train"})
    (row,) = _table_rows(table, table.splitlines()[0])
    assert row == [
        "p",
        "2024-12-01",
        "Israel | Gaza",
        "https://example.org/t",
        "CC BY 4.0",
        "A|B",
        "train",
    ]


def test_the_tiny_cards_tables_escape_the_pipe_of_a_title(project):
    build(project)
    text = (project.corpus / "README.md").read_text(encoding="utf-8")
    assert "| zz-unannotated | 2024-12-01 | A \\| B |" in text


def test_rare_labels_are_those_under_ten_in_each_split():
    counts = RowCounts()
    counts.totals["train"].update({"articles": 2})
    counts.totals["test"].update({"articles": 1})
    counts.entity_labels["train"].update({"GPE": 10, "PER": 9})
    counts.entity_labels["test"].update({"GPE": 12})
    counts.relation_labels["train"].update({"ATTACKS": 30, "MEETS": 1})
    found = card.rare_labels(counts, ["PER", "GPE", "LOC"], ["ATTACKS", "MEETS"])
    assert found == {
        "train": {"entities": [("PER", 9), ("LOC", 0)], "relations": [("MEETS", 1)]},
        "validation": {
            "entities": [("PER", 0), ("GPE", 0), ("LOC", 0)],
            "relations": [("ATTACKS", 0), ("MEETS", 0)],
        },
        "test": {"entities": [("PER", 0), ("LOC", 0)], "relations": [("ATTACKS", 0), ("MEETS", 0)]},
    }
    assert card.rare_label_list(
        counts, ["PER", "GPE", "LOC"], ["ATTACKS", "MEETS"]
    ).splitlines() == [
        "- `train`: entities `PER` (9), `LOC` (0); relations `MEETS` (1).",
        "- `validation`: no articles in this release.",
        "- `test`: entities `PER` (0), `LOC` (0); relations `ATTACKS` (0), `MEETS` (0).",
    ]


def test_the_released_card_lists_the_rare_labels_of_its_counts(repo):
    """Against the Labels table of the same card: every count under 10 is listed, no other."""
    text = (repo.corpus / "README.md").read_text(encoding="utf-8")
    splits = ("train", "validation", "test")
    table = _table_rows(text, "| kind | label | definition | train | validation | test | total |")
    for i, split in enumerate(splits):
        expected = {
            kind: [
                f"`{row[1]}` ({row[3 + i]})"
                for row in table
                if row[0] == kind and int(row[3 + i]) < 10
            ]
            for kind in ("entity", "relation")
        }
        line = re.search(rf"^- `{split}`: entities (.*); relations (.*)\.$", text, re.MULTILINE)
        assert line[1] == (", ".join(expected["entity"]) or "none"), split
        assert line[2] == (", ".join(expected["relation"]) or "none"), split


def test_bias_counts_use_the_articles_of_the_release(project):
    """The unannotated article (Kenya) is in the manifest but not in the release, nor in the
    counts."""
    build(project)
    text = (project.corpus / "README.md").read_text(encoding="utf-8")
    assert len(load_articles(project.seeds)) == 2
    assert _table_rows(text, "| region | articles | share | places (articles) |") == [
        [card.THEMATIC, "1", "100%", "(no topic) (1)"]
    ]
    assert _table_rows(text, "| year | articles | train | validation | test |") == [
        ["2024", "1", "1", "0", "0"]
    ]


def test_the_template_names_exactly_the_fields_of_card_values():
    """A name the template uses but :class:`card.CardValues` lacks would fail the build, and a
    field the template does not use is a value computed for nothing."""
    text = Path(card.__file__).with_name("card.md.jinja").read_text(encoding="utf-8")
    env = jinja2.Environment()
    used = jinja2.meta.find_undeclared_variables(env.parse(text))
    assert used == {f.name for f in dataclasses.fields(card.CardValues)}


def test_a_value_missing_from_the_template_context_fails():
    with pytest.raises(jinja2.UndefinedError, match="header"):
        card.template().render({})


def test_the_yaml_header_reads_back_with_the_libraries_that_wrote_it(repo):
    """The header the build writes is what ``datasets`` reads: the same features, splits and
    data files, in the order of ``card.METADATA``."""
    feats = features(load_scheme(repo.scheme))
    counts = {c: {"train": 3, "test": 1} for c in feats}
    sizes = {c: {"train": 30, "test": 10} for c in feats}
    files = {c: {s: f"{c}/{s}.parquet" for s in ("train", "test")} for c in feats}
    header = card.yaml_header(feats, counts, sizes, files)
    data = DatasetCard(header + "\n# Card\n").data
    assert set(data.to_dict()) == {*card.METADATA, "configs", "dataset_info"}
    keys = re.findall(r"^(\w+):", header, re.MULTILINE)
    assert keys == [*card.METADATA, "configs", "dataset_info"]
    infos = DatasetInfosDict.from_dataset_card_data(data)
    assert {c: infos[c].features for c in infos} == feats
    assert {
        c: {s: (i.num_examples, i.num_bytes) for s, i in infos[c].splits.items()} for c in infos
    } == {c: {"train": (3, 30), "test": (1, 10)} for c in feats}
    configs = MetadataConfigs.from_dataset_card_data(data)
    assert configs.get_default_config_name() == card.DEFAULT_CONFIG
    assert configs["ner"]["data_files"] == [
        {"split": "train", "path": "ner/train.parquet"},
        {"split": "test", "path": "ner/test.parquet"},
    ]
    # folded at PyYAML's width 100 (DatasetCardData.to_yaml folds at 80), as the released card is
    assert (
        "license_details: 'Wikinews articles: CC BY 2.5 (from 25 September 2005) or public "
        "domain (before); the\n" in header
    )
