import pytest
from fixtures import ARTICLE, DOC

from frontline.dataset import (AlignmentError, SPLIT_SEED, article_rows, assign_splits, iob2_tags,
                               document_from_row, features)
from frontline.documents import Document, Entity
from frontline.sample import SEED_ARTICLE
from frontline.scheme import load_scheme


def test_splits_are_by_article_deterministic_and_keep_the_seed_in_test():
    ids = [SEED_ARTICLE, *(f"w{i:02d}" for i in range(30))]
    splits = assign_splits(ids)
    assert splits == assign_splits(list(reversed(ids)))
    assert splits[SEED_ARTICLE] == "test"
    assert sorted(splits.values()).count("test") == 9
    assert sorted(splits.values()).count("validation") == 8
    assert sorted(splits.values()).count("train") == 14
    assert assign_splits(ids, seed=SPLIT_SEED + 1) != splits


def test_features_are_derived_from_the_scheme(repo):
    scheme = load_scheme(repo.scheme)
    feats = features(scheme)
    assert feats["documents"]["entities"].feature["label"].names == scheme.entity_names
    assert feats["documents"]["relations"].feature["label"].names == scheme.relation_names
    assert feats["ner"]["ner_tags"].feature.names == scheme.iob2_tags()


def test_rows_of_the_fixture_article():
    rows = article_rows(ARTICLE, DOC)
    assert rows.documents["sentences"] == [{"start": 0, "end": 35}, {"start": 36, "end": 55}]
    assert rows.documents["entities"][1] == {"id": "e2", "start": 11, "end": 25, "label": "GROUP",
                                             "text": "Iraqi militias"}
    first, second = rows.ner
    assert first["tokens"] == ["Iran", "backs", "Iraqi", "militias", "in", "Syria", "."]
    assert first["ner_tags"] == ["B-GPE", "O", "B-GROUP", "I-GROUP", "O", "B-GPE", "O"]
    assert first["token_starts"][2:4] == [11, 17] and first["token_ends"][2:4] == [16, 25]
    assert second["id"] == "tiny-001" and second["sent_id"] == 1
    assert rows.relations[0]["entities"] == [{"start": 0, "end": 1, "type": "GPE"},
                                             {"start": 2, "end": 4, "type": "GROUP"},
                                             {"start": 5, "end": 6, "type": "GPE"}]
    assert rows.relations[0]["relations"] == [{"head": 0, "tail": 1, "type": "SUPPORTS"},
                                              {"head": 1, "tail": 2, "type": "LOCATED_IN"}]
    assert rows.relations[1]["entities"] == [{"start": 0, "end": 1, "type": "GROUP"},
                                             {"start": 2, "end": 3, "type": "GPE"}]
    assert rows.relations[1]["relations"] == [{"head": 0, "tail": 1, "type": "CONTROLS"}]


def test_a_mention_inside_a_token_is_an_error_naming_it():
    bad = Document("tiny", DOC.text, (Entity(0, 3, "GPE", "Ira", "e9"),), ())
    with pytest.raises(AlignmentError) as err:
        article_rows(ARTICLE, bad)
    assert err.value.problems == ["doc tiny entity e9 (GPE): [0:3] 'Ira' does not start and end on "
                                  "token boundaries (tokens there: ['Iran'])"]


def test_document_row_round_trip(repo):
    scheme = load_scheme(repo.scheme)
    row = article_rows(ARTICLE, DOC).documents
    encoded = features(scheme)["documents"].encode_example(row)
    assert document_from_row(encoded, scheme.entity_names, scheme.relation_names) == DOC


def test_iob2_tags_agree_with_spacys_conversion_on_the_whole_corpus(repo):
    """``iob2_tags`` replaces spaCy's offsets -> BILUO -> IOB for speed; on every released
    article it must give exactly what spaCy gives."""
    from spacy.training import biluo_to_iob, offsets_to_biluo_tags

    from frontline.build import load_gold
    from frontline.text import parse

    gold = load_gold(repo)
    for document in gold.documents:
        doc = parse(document.text)
        spans = [doc.char_span(e.start, e.end) for e in document.entities]
        expected = biluo_to_iob(offsets_to_biluo_tags(doc, [(e.start, e.end, e.label) for e in document.entities]))
        assert iob2_tags(len(doc), [(s.start, s.end) for s in spans], [e.label for e in document.entities]) == expected
