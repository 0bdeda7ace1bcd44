"""The transformer baselines: sub-token alignment, typed markers, a tiny run that overfits the
fixture, and two runs that agree bit for bit."""

import json
from pathlib import Path

import pytest
from fixtures import DOC, ENTITIES, RELATIONS, TEXT

from frontline.baselines import registry, transformer
from frontline.baselines.models import Training
from frontline.baselines.report import table
from frontline.baselines.transformer import MiniLMNer, MiniLMRelations, Settings
from frontline.cli.baselines import _keep_recorded_transformer
from frontline.core.documents import Document
from frontline.core.text import parse
from frontline.release.formats import iob2_spans, iob2_tags

LABELS = ("PER", "ORG", "GPE", "LOC", "FAC", "NORP", "GROUP")
# punctuation, curly and straight quotes, accents, a combining accent, a zero-width space
HARD = '“Kyiv’s” forces (São Tomé) held Zaporizhzhia — e\u0301lan \u200b said "U.S." aide.'
TINY = Settings(max_epochs=25, patience=25, learning_rate=3e-4, batch_size=8, max_length=64)


@pytest.fixture(scope="module")
def tokenizer():
    return transformer.load_tokenizer()


def test_the_model_comes_from_the_package_folder() -> None:
    folder = transformer.model_dir()
    assert folder.name == "model" and folder.parent.name == transformer.MODEL_PACKAGE
    assert (folder / "model.safetensors").is_file() and (folder / "vocab.txt").is_file()


def test_subtokens_map_to_the_characters_they_were_read_from(tokenizer) -> None:
    words = [t for t in parse(HARD) if not t.is_space]
    offsets = transformer.subtoken_offsets(tokenizer, words)
    pieces = transformer.word_pieces(tokenizer, [w.text for w in words])
    assert [len(o) for o in offsets] == [len(p) for p in pieces]
    read = {w.text: [HARD[s:e] for s, e in spans] for w, spans in zip(words, offsets, strict=True)}
    assert read["“"] == ["“"]
    assert read["Kyiv"] == ["Kyiv"]
    assert read["’s"] == ["’", "s"]
    assert read["São"] == ["São"]  # read as "sao": the accent is dropped, the offsets kept
    assert read["Zaporizhzhia"] == ["Za", "por", "iz", "h", "zhi", "a"]
    assert read["e\u0301lan"] == ["e\u0301l", "an"]  # the combining accent stays in its piece
    assert read["\u200b"] == []  # the tokenizer drops it: no sub-token
    assert read["U.S."] == ["U", ".", "S", "."]
    for w, spans in zip(words, offsets, strict=True):
        assert all(w.idx <= s < e <= w.idx + len(w.text) for s, e in spans)
        if spans:
            assert spans[0][0] == w.idx  # a word is read from its first character


def test_offsets_of_the_hard_text_are_exact(tokenizer) -> None:
    words = [t for t in parse(HARD) if not t.is_space]
    offsets = transformer.subtoken_offsets(tokenizer, words)
    by_word = {w.text: o for w, o in zip(words, offsets, strict=True)}
    assert by_word["Kyiv"] == [(1, 5)]
    assert by_word["’s"] == [(5, 6), (6, 7)]
    assert by_word["São"] == [(17, 20)]
    assert by_word["Zaporizhzhia"] == [(32, 34), (34, 37), (37, 39), (39, 40), (40, 43), (43, 44)]
    assert by_word["e\u0301lan"] == [(47, 50), (50, 52)]
    assert by_word["U.S."] == [(61, 62), (62, 63), (63, 64), (64, 65)]


def test_gold_spans_come_back_through_first_subtoken_tags(tokenizer) -> None:
    """Character spans -> word tags -> sub-token targets -> word tags -> the same spans."""
    spans = [(1, 5, "GPE"), (17, 25, "GPE"), (32, 44, "GPE"), (47, 59, "ORG"), (61, 65, "GPE")]
    assert [HARD[s:e] for s, e, _ in spans] == [
        "Kyiv",
        "São Tomé",
        "Zaporizhzhia",
        "e\u0301lan \u200b said",  # a span across the word without sub-tokens
        "U.S.",
    ]
    doc = parse(HARD)
    tags = iob2_tags(doc, spans)
    words = [t for t in doc if not t.is_space]
    names = transformer._tag_ids(LABELS)
    ids = [names.index(tags[w.i]) for w in words]
    (encoded,) = transformer.tag_sequences(tokenizer, words, ids, 128)
    assert encoded.ids[0] == tokenizer.cls_token_id and encoded.ids[-1] == tokenizer.sep_token_id
    assert len(encoded.reads) == len(words)
    assert len(encoded.targets) == sum(1 for r in encoded.reads if r)  # not the empty word
    back = transformer.word_tags(encoded.reads, [names[k] for k in encoded.targets])
    assert iob2_spans(words, back) == spans


def test_a_word_without_subtokens_joins_the_span_around_it() -> None:
    reads = [(1,), (), (2,), (), (3,)]
    assert transformer.word_tags(reads, ["B-ORG", "I-ORG", "O"]) == [
        "B-ORG",
        "I-ORG",
        "I-ORG",
        "O",
        "O",
    ]
    assert transformer.word_tags(reads, ["B-ORG", "B-ORG", "O"])[1] == "O"
    assert transformer.word_tags(reads, ["B-ORG", "I-GPE", "O"])[1] == "O"


def test_long_sentences_are_cut_between_words() -> None:
    assert transformer.chunks([3, 3, 3, 1], 6) == [(0, 2), (2, 4)]
    assert transformer.chunks([7, 1], 6) == [(0, 1), (1, 2)]
    assert transformer.chunks([], 6) == []


def test_typed_markers_surround_head_and_tail(tokenizer) -> None:
    markers = transformer.marker_ids(tokenizer, LABELS)
    inputs = transformer.pair_inputs(DOC, tokenizer, markers, 64)
    assert inputs.pairs == [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1), (3, 4), (4, 3)]
    # GPE is label 2: <S:GPE> = [unused8], </S:GPE> [unused9], <O:GPE> [unused10], </O:GPE>
    # [unused11]; GROUP is label 6: [unused24] to [unused27]
    first = inputs.encoded[0]
    assert tokenizer.convert_ids_to_tokens(list(first.ids)) == [
        "[CLS]",
        "[unused8]",
        "iran",
        "[unused9]",
        "backs",
        "[unused26]",
        "iraqi",
        "militias",
        "[unused27]",
        "in",
        "syria",
        ".",
        "[SEP]",
    ]
    assert first.reads == ((1, 5),)
    reverse = inputs.encoded[inputs.pairs.index((4, 3))]
    assert tokenizer.convert_ids_to_tokens(list(reverse.ids)) == [
        "[CLS]",
        "[unused26]",
        "rebels",
        "[unused27]",
        "took",
        "[unused8]",
        "aleppo",
        "[unused9]",
        ".",
        "[SEP]",
    ]
    assert reverse.reads == ((5, 1),)


def test_insert_markers_when_the_mentions_touch() -> None:
    ids, head, tail = transformer.insert_markers(
        [[10], [11, 12], [13]], (1, 2), (2, 3), (1, 2, 3, 4), (100, 101)
    )
    assert ids == [100, 10, 1, 11, 12, 2, 3, 13, 4, 101]
    assert (head, tail) == (2, 6)


def test_a_long_sentence_keeps_the_pair_and_what_fits_around_it() -> None:
    lengths = [5] * 20
    assert transformer.pair_window(lengths, (8, 9), (11, 12), 200) == (0, 20)
    assert transformer.pair_window(lengths, (8, 9), (11, 12), 6 + 20 + 10) == (7, 13)


def _overfit(kind, monkeypatch, seed=7):
    monkeypatch.setattr(kind, "settings", TINY)
    return kind.fit(Training([DOC], [DOC], LABELS), seed=seed)


def test_the_tagger_overfits_the_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _overfit(MiniLMNer, monkeypatch)
    assert model.predict("tiny", TEXT).entities == tuple(
        e.__class__(e.start, e.end, e.label, e.text, f"p{k + 1}") for k, e in enumerate(ENTITIES)
    )
    assert max(model.fitted.validation) == 1.0
    assert model.selected()["epoch"] == model.fitted.validation.index(1.0) + 1


def test_the_relation_classifier_overfits_the_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _overfit(MiniLMRelations, monkeypatch)
    assert model.labels == ["NONE", "CONTROLS", "LOCATED_IN", "SUPPORTS"]
    given = Document(DOC.doc_id, DOC.text, DOC.entities, ())
    assert model.predict(given).relations == RELATIONS


def test_two_runs_with_one_seed_agree_bit_for_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    monkeypatch.setattr(MiniLMNer, "settings", Settings(3, 3, 3e-4, 8, 64))
    first = MiniLMNer.fit(Training([DOC], [DOC], LABELS), seed=11)
    second = MiniLMNer.fit(Training([DOC], [DOC], LABELS), seed=11)
    other = MiniLMNer.fit(Training([DOC], [DOC], LABELS), seed=12)
    assert first.fitted == second.fitted
    one, two, three = (m.net.state_dict() for m in (first, second, other))
    assert all(torch.equal(one[k], two[k]) for k in one)
    assert not all(torch.equal(one[k], three[k]) for k in one)  # the seed matters
    assert torch.get_num_threads() == transformer.THREADS
    assert torch.are_deterministic_algorithms_enabled()


def test_registry_keeps_the_transformers_in_their_own_family() -> None:
    assert [k.name for k in registry.TRANSFORMER.entity_models] == ["minilm-ner"]
    assert [k.name for k in registry.TRANSFORMER.relation_models] == ["minilm-relations"]
    assert registry.entity_model("minilm-ner") is MiniLMNer
    assert registry.relation_model("minilm-relations") is MiniLMRelations
    assert set(registry.FAMILIES) == {"classic", "transformer"}


def test_a_classic_run_keeps_the_recorded_transformer_rows(repo, tmp_path: Path) -> None:
    results = json.loads((repo.baselines / "results.json").read_text(encoding="utf-8"))
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results), encoding="utf-8")
    classic = {k: v for k, v in results.items() if k != "transformer"}
    checksum = results["run"]["dataset_sha256"]
    kept = _keep_recorded_transformer(classic, path, checksum)
    assert kept.get("transformer") == results.get("transformer")
    assert "transformer" not in _keep_recorded_transformer(classic, path, "another dataset")
    if "transformer" in results:
        text = table(results)
        assert "| minilm-ner |" in text and "| minilm-relations | gold |" in text
        assert "| minilm-relations | minilm-ner |" in text


def test_the_transformers_pre_annotate_with_scores(monkeypatch: pytest.MonkeyPatch, repo) -> None:
    from frontline.core.scheme import load_scheme
    from frontline.studio import preannotate

    monkeypatch.setattr(MiniLMNer, "settings", TINY)
    monkeypatch.setattr(MiniLMRelations, "settings", TINY)
    assert preannotate.check_name("minilm-ner+minilm-relations") == (
        "minilm-ner",
        "minilm-relations",
    )
    scheme = load_scheme(repo.scheme)
    model = preannotate.train(
        "minilm-ner+minilm-relations",
        [DOC],
        [DOC],
        scheme,
        c={},
        ner_config=Path("unused.cfg"),
        version="test",
        seed=7,
    )
    scored = model.scored("tiny", TEXT)
    assert [(e.start, e.end, e.label) for e in scored.doc.entities] == [
        (e.start, e.end, e.label) for e in ENTITIES
    ]
    assert scored.doc.relations == RELATIONS
    # the probability of an argmax: at least 1 / the number of classes (15 tags, 4 relations)
    assert all(1 / 15 <= s <= 1.0 for s in scored.entity_scores)
    assert all(1 / 4 <= s <= 1.0 for s in scored.relation_scores)
    assert len(scored.relation_scores) == len(RELATIONS)
