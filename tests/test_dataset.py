"""The dataset's rows and features, derived from the gold and the scheme."""

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from datasets import Dataset, Features, List, Value, concatenate_datasets, load_dataset
from fixtures import ARTICLE, DOC
from fixtures import ENTITIES as ENTITIES_OF_DOC

from frontline.core.documents import Document, Entity, Relation
from frontline.core.paths import Project
from frontline.core.scheme import Scheme, load_scheme
from frontline.release.dataset import (
    SENT_BITS,
    AlignmentError,
    Rows,
    article_rows,
    document_from_row,
    encoding,
    features,
    iob2_ids,
    label_ids,
    sentence_ids,
)


def test_features_are_derived_from_the_scheme(repo: Project) -> None:
    scheme = load_scheme(repo.scheme)
    feats = features(scheme)
    assert feats["documents"]["entities"].feature["label"].names == scheme.entity_names
    assert feats["documents"]["relations"].feature["label"].names == scheme.relation_names
    assert feats["ner"]["ner_tags"].feature.names == scheme.iob2_tags()


#: DFKI-SLT/conll04's features as its dataset card declares them (huggingface.co/datasets/
#: DFKI-SLT/conll04, README.md ``dataset_info``, commit a252269): written out here, not imported.
CONLL04 = Features(
    {
        "entities": List({"end": Value("int64"), "start": Value("int64"), "type": Value("string")}),
        "tokens": List(Value("string")),
        "relations": List(
            {"head": Value("int64"), "tail": Value("int64"), "type": Value("string")}
        ),
        "orig_id": Value("int64"),
    }
)


def test_the_relations_config_has_exactly_conll04s_features(repo: Project) -> None:
    ours = features(load_scheme(repo.scheme))["relations"]
    assert ours == CONLL04 and list(ours) == list(CONLL04)
    assert ours.arrow_schema.equals(CONLL04.arrow_schema)


def test_relations_concatenate_with_a_conll04_row(repo: Project, tmp_path: Path) -> None:
    """A one-row dataset with exactly conll04's features joins our released train split."""
    conll04 = Dataset.from_list(
        [
            {
                "entities": [
                    {"end": 1, "start": 0, "type": "Peop"},
                    {"end": 4, "start": 3, "type": "Org"},
                ],
                "tokens": ["Smith", "works", "for", "Reuters", "."],
                "relations": [{"head": 0, "tail": 1, "type": "Work_For"}],
                "orig_id": 2447,
            }
        ],
        features=CONLL04,
    )
    ours = load_dataset(
        str(repo.corpus), "relations", split="train", cache_dir=str(tmp_path / "cache")
    )
    joined = concatenate_datasets([conll04, ours])
    assert len(joined) == len(ours) + 1 and joined.features == CONLL04
    assert joined[0] == conll04[0] and joined[1] == ours[0]


def test_relations_rows_join_ner_rows_by_orig_id(repo: Project, tmp_path: Path) -> None:
    """Row i of relations is row i of ner in every split; orig_id is unique and holds sent_id."""
    cache = str(tmp_path / "cache")
    rel, ner = (
        load_dataset(str(repo.corpus), config, cache_dir=cache) for config in ("relations", "ner")
    )
    seen = []
    for split in ner:
        assert rel[split]["orig_id"] == ner[split]["orig_id"]
        assert rel[split]["tokens"] == ner[split]["tokens"]
        for row in ner[split]:
            assert row["orig_id"] == sentence_ids(row["doc_id"], row["sent_id"] + 1)[-1]
            assert row["orig_id"] % 2**SENT_BITS == row["sent_id"]
        seen += ner[split]["orig_id"]
    assert len(seen) == len(set(seen))


def test_sentence_ids_are_stable_numbers_of_the_article() -> None:
    assert sentence_ids("tiny", 3).tolist()[:2] == sentence_ids("tiny", 2).tolist()
    assert sentence_ids("tiny", 1)[0] != sentence_ids("tinier", 1)[0]
    with pytest.raises(OverflowError):
        sentence_ids("tiny", 2**SENT_BITS + 1)


def _decoded(rows: Rows, scheme: Scheme) -> dict[str, list[dict[str, Any]]]:
    """The rows of each config as Python dicts, label ids read back as names."""
    feats = features(scheme)
    out = {}
    for config in ("documents", "ner", "relations"):
        batch = rows.batch(config, scheme)
        assert batch.schema.equals(feats[config].arrow_schema, check_metadata=True)
        out[config] = batch.to_pylist()
    tags = scheme.iob2_tags()
    for row in out["ner"]:
        row["ner_tags"] = [tags[t] for t in row["ner_tags"]]
    for row in out["documents"]:
        row["entities"] = [{**e, "label": scheme.entity_names[e["label"]]} for e in row["entities"]]
        row["relations"] = [
            {**r, "label": scheme.relation_names[r["label"]]} for r in row["relations"]
        ]
    return out


def test_rows_of_the_fixture_article(repo: Project) -> None:
    rows = article_rows(ARTICLE, DOC, load_scheme(repo.scheme))
    assert (rows.documents["id"], rows.sentences, rows.tokens) == (["tiny"], 2, 11)
    out = _decoded(rows, load_scheme(repo.scheme))
    (document,) = out["documents"]
    assert document["sentences"] == [{"start": 0, "end": 35}, {"start": 36, "end": 55}]
    assert document["entities"][1] == {
        "id": "e2",
        "start": 11,
        "end": 25,
        "label": "GROUP",
        "text": "Iraqi militias",
    }
    assert document["relations"] == [
        {"head": 0, "tail": 1, "label": "SUPPORTS"},
        {"head": 1, "tail": 2, "label": "LOCATED_IN"},
        {"head": 3, "tail": 4, "label": "CONTROLS"},
    ]
    assert document["text"] == ARTICLE.text and document["title"] == "Tiny"
    first, second = out["ner"]
    assert first["tokens"] == ["Iran", "backs", "Iraqi", "militias", "in", "Syria", "."]
    assert first["ner_tags"] == ["B-GPE", "O", "B-GROUP", "I-GROUP", "O", "B-GPE", "O"]
    assert first["token_starts"][2:4] == [11, 17] and first["token_ends"][2:4] == [16, 25]
    assert second["id"] == "tiny-001" and second["sent_id"] == 1 and second["doc_id"] == "tiny"
    assert second["tokens"] == ["Rebels", "took", "Aleppo", "."]
    relations = out["relations"]
    assert [list(r) for r in relations] == [["entities", "tokens", "relations", "orig_id"]] * 2
    assert [r["tokens"] for r in relations] == [first["tokens"], second["tokens"]]
    assert [r["orig_id"] for r in relations] == [first["orig_id"], second["orig_id"]]
    assert [first["orig_id"], second["orig_id"]] == sentence_ids("tiny", 2).tolist()
    assert relations[0]["entities"] == [
        {"start": 0, "end": 1, "type": "GPE"},
        {"start": 2, "end": 4, "type": "GROUP"},
        {"start": 5, "end": 6, "type": "GPE"},
    ]
    assert relations[0]["relations"] == [
        {"head": 0, "tail": 1, "type": "SUPPORTS"},
        {"head": 1, "tail": 2, "type": "LOCATED_IN"},
    ]
    assert relations[1]["entities"] == [
        {"start": 0, "end": 1, "type": "GROUP"},
        {"start": 2, "end": 3, "type": "GPE"},
    ]
    assert relations[1]["relations"] == [{"head": 0, "tail": 1, "type": "CONTROLS"}]


def test_rows_of_a_text_with_multibyte_characters_and_a_crlf(repo: Project) -> None:
    """Token texts are cut from the UTF-8 bytes: offsets must be turned into byte offsets."""
    text = "Türkiye’s army shelled Kobanî.\r\nThe YPG 🙂 held."
    article = ARTICLE.__class__(**{**ARTICLE.__dict__, "id": "mb", "text": text})
    doc = Document(
        "mb",
        text,
        (
            Entity(0, 7, "GPE", "Türkiye", "a"),
            Entity(23, 29, "GPE", "Kobanî", "b"),
            Entity(36, 39, "GROUP", "YPG", "c"),
        ),
        (),
    )
    out = _decoded(article_rows(article, doc, load_scheme(repo.scheme)), load_scheme(repo.scheme))
    first, second = out["ner"]
    assert first["tokens"] == ["Türkiye", "’s", "army", "shelled", "Kobanî", "."]
    assert [
        text[s:e] for s, e in zip(first["token_starts"], first["token_ends"], strict=True)
    ] == first["tokens"]
    assert second["tokens"] == ["The", "YPG", "🙂", "held", "."]
    assert second["ner_tags"] == ["O", "B-GROUP", "O", "O", "O"]


def test_an_article_without_mentions_has_empty_entity_and_relation_lists(repo: Project) -> None:
    out = _decoded(
        article_rows(ARTICLE, Document("tiny", DOC.text, (), ()), load_scheme(repo.scheme)),
        load_scheme(repo.scheme),
    )
    assert [r["entities"] for r in out["relations"]] == [[], []]
    assert all(set(r["ner_tags"]) == {"O"} for r in out["ner"])
    assert out["documents"][0]["entities"] == [] and out["documents"][0]["relations"] == []


def test_a_mention_inside_a_token_is_an_error_naming_it(repo: Project) -> None:
    bad = Document("tiny", DOC.text, (Entity(0, 3, "GPE", "Ira", "e9"),), ())
    with pytest.raises(AlignmentError) as err:
        article_rows(ARTICLE, bad, load_scheme(repo.scheme))
    assert err.value.problems == [
        "doc tiny entity e9 (GPE): [0:3] 'Ira' does not start and end on "
        "token boundaries (tokens there: ['Iran'])"
    ]


def test_a_mention_or_relation_across_sentences_is_an_error_not_a_loss(repo: Project) -> None:
    """Validation refuses both first; the rows never drop them silently either."""
    across = Document("tiny", DOC.text, (Entity(29, 42, "GPE", "Syria. Rebels", "x"),), ())
    with pytest.raises(
        AlignmentError, match=r"entity x \(GPE\): \[29:42\] is not inside one sentence"
    ):
        article_rows(ARTICLE, across, load_scheme(repo.scheme))
    linked = Document("tiny", DOC.text, ENTITIES_OF_DOC, (Relation(0, 3, "ATTACKS"),))
    with pytest.raises(
        AlignmentError, match=r"relation ATTACKS e1->e4: its ends lie in different sentences"
    ):
        article_rows(ARTICLE, linked, load_scheme(repo.scheme))


def test_document_row_round_trip(repo: Project) -> None:
    scheme = load_scheme(repo.scheme)
    (row,) = article_rows(ARTICLE, DOC, scheme).batch("documents", scheme).to_pylist()
    assert document_from_row(row, scheme.entity_names, scheme.relation_names) == DOC


def test_tags_agree_with_spacys_conversion_on_the_whole_corpus(repo: Project) -> None:
    """``iob2_ids`` and the vectorised token spans replace spaCy's ``char_span`` and
    offsets -> BILUO -> IOB (:func:`frontline.release.formats.iob2_tags`) for speed; on every
    released article the rows must hold exactly what spaCy gives, for every word."""
    from frontline.core.text import parse
    from frontline.release.build import load_gold
    from frontline.release.formats import iob2_tags

    gold = load_gold(repo)
    names = gold.scheme.iob2_tags()
    articles = {a.id: a for a in gold.articles}
    for document in gold.documents:
        doc = parse(document.text)
        expected = iob2_tags(doc, [(e.start, e.end, e.label) for e in document.entities])
        spans = [doc.char_span(e.start, e.end) for e in document.entities]
        ids = iob2_ids(
            len(doc),
            np.array([s.start for s in spans], dtype=np.int64),
            np.array([s.end for s in spans], dtype=np.int64),
            [e.label for e in document.entities],
            encoding(gold.scheme).tag,
        )
        assert [names[i] for i in ids] == expected
        rows = article_rows(articles[document.doc_id], document, gold.scheme).batch(
            "ner", gold.scheme
        )
        words = [t.i for t in doc if not t.is_space]
        assert [names[i] for tags in rows.column("ner_tags").to_pylist() for i in tags] == [
            expected[i] for i in words
        ]
        assert [t for tokens in rows.column("tokens").to_pylist() for t in tokens] == [
            doc[i].text for i in words
        ]


def test_label_ids_are_the_class_label_ids_of_the_features(repo: Project) -> None:
    """The ids ``article_rows`` writes are those ``datasets`` reads back through the features'
    ClassLabels; ``encoding`` carries the same ids with the Arrow schemas."""
    scheme = load_scheme(repo.scheme)
    feats, ids, enc = features(scheme), label_ids(scheme), encoding(scheme)
    label = feats["documents"]["entities"].feature["label"]
    assert ids.entity == {n: label.str2int(n) for n in scheme.entity_names}
    relation = feats["documents"]["relations"].feature["label"]
    assert ids.relation == {n: relation.str2int(n) for n in scheme.relation_names}
    tag = feats["ner"]["ner_tags"].feature
    assert ids.tag == {n: tag.str2int(n) for n in scheme.iob2_tags()}
    assert (enc.entity, enc.relation, enc.tag) == (ids.entity, ids.relation, ids.tag)
    assert enc.schemas["ner"] == feats["ner"].arrow_schema
