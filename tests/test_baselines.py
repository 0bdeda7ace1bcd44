"""Baselines end to end on a tiny fixture: deterministic results, and the committed table."""

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

from frontline.baselines import models, registry, suite
from frontline.baselines.record import results_json
from frontline.baselines.registry import Setting, System
from frontline.baselines.report import (
    reproducibility_note,
    results_markdown,
    table,
    write_error_analysis,
)
from frontline.baselines.suite import Data
from frontline.core.documents import Document
from frontline.core.markdown import splice
from frontline.core.paths import Project
from frontline.core.scheme import Scheme, load_scheme
from frontline.studio.sheets import Sheet, sheet_document

SENTENCES = [
    (
        "[[Iran]]GPE backs [[Iraqi militias]]GROUP in [[Syria]]GPE.",
        ["SUPPORTS Iran -> Iraqi militias", "LOCATED_IN Iraqi militias -> Syria"],
    ),
    ("[[Rebels]]GROUP took [[Aleppo]]GPE.", ["CONTROLS Rebels -> Aleppo"]),
    (
        "[[Abbas Araghchi]]PER met [[Bashar Assad]]PER in [[Damascus]]GPE.",
        ["MEETS Abbas Araghchi -> Bashar Assad", "LOCATED_IN Abbas Araghchi -> Damascus"],
    ),
    (
        "[[Turkey]]GPE backs [[insurgents]]GROUP in [[Idlib]]GPE.",
        ["SUPPORTS Turkey -> insurgents", "LOCATED_IN insurgents -> Idlib"],
    ),
]


def make_doc(doc_id: str, order: Sequence[int], scheme: Scheme) -> Document:
    """A document of the fixture sentences in ``order``, with their gold."""
    marked = [SENTENCES[i % len(SENTENCES)] for i in order]
    plain = " ".join(re.sub(r"\[\[(.+?)\]\][A-Z]+", r"\1", m) for m, _ in marked)
    sheet = Sheet(
        doc_id,
        {n: (n, m) for n, (m, _) in enumerate(marked)},
        [(0, n, r) for n, (_, rels) in enumerate(marked) for r in rels],
    )
    return sheet_document(sheet, plain, scheme)


@pytest.fixture(scope="module")
def data(repo: Project) -> tuple[Scheme, Data]:
    scheme = load_scheme(repo.scheme)
    docs = [make_doc(f"d{k}", [(k + j) % 4 for j in range(4)], scheme) for k in range(8)]
    return scheme, Data(docs[:4], docs[4:6], docs[6:], "fixture")


def test_type_pair_prior_keeps_rules_that_beat_no_relation(data: tuple[Scheme, Data]) -> None:
    scheme, d = data
    # in the mixed fixture every type pair is right at most half the time on validation
    # (e.g. PER -> PER: Araghchi -> Assad is MEETS, Assad -> Araghchi is not): no rule survives
    assert models.TypePairPrior(d.train, d.validation).rules == {}
    only_control = [make_doc("c1", [1], scheme)], [make_doc("c2", [1, 1], scheme)]
    prior = models.TypePairPrior(*only_control)
    assert prior.rules == {("GROUP", "GPE"): "CONTROLS"}
    (pred,) = [prior.predict(suite.gold_entities_only(x)) for x in only_control[1]]
    assert pred.relations == only_control[1][0].relations


def test_sklearn_ner_learns_the_fixture(data: tuple[Scheme, Data]) -> None:
    scheme, d = data
    model = models.SklearnNer(d.train, scheme.entity_names, C=10.0, seed=suite.SEED)
    pred = model.predict(d.test[0].doc_id, d.test[0].text)
    assert [(e.text, e.label) for e in pred.entities] == [
        (e.text, e.label) for e in d.test[0].entities
    ]


def test_tags_to_entities_repairs_invalid_iob() -> None:
    from frontline.core.text import parse

    doc = parse("Iraqi militias moved")
    assert models.tags_to_entities(list(doc), ["I-GROUP", "I-GROUP", "O"], doc.text) == [
        (0, 14, "GROUP")
    ]
    assert models.tags_to_entities(list(doc), ["B-NORP", "I-GROUP", "O"], doc.text) == [
        (0, 5, "NORP"),
        (6, 14, "GROUP"),
    ]


def test_run_twice_gives_byte_identical_results(data: tuple[Scheme, Data], repo: Project) -> None:
    scheme, d = data
    fast = {"training.max_steps": 30, "training.eval_frequency": 10}
    first, _ = suite.run(d, scheme, repo.baselines / "configs" / "ner.cfg", lambda m: None, fast)
    second, _ = suite.run(d, scheme, repo.baselines / "configs" / "ner.cfg", lambda m: None, fast)
    assert results_json(first) == results_json(second)
    assert set(first["entities"]) == {"lexicon", "sklearn-ner", "spacy-ner"}
    assert set(first["relations"]["gold_entities"]) == {"type-pair-prior", "sklearn-relations"}
    lo, hi = first["entities"]["lexicon"]["strict"]["f1_ci95"]
    assert lo <= first["entities"]["lexicon"]["strict"]["f1"] <= hi


def test_spacy_ner_multiplies_through_the_pinned_ops(data: tuple[Scheme, Data], repo: Project):
    """Its parser's C loop too (frontline.baselines.blas), also after training."""
    _, d = data
    fast = {"training.max_steps": 10, "training.eval_frequency": 5}
    config = repo.baselines / "configs" / "ner.cfg"
    model = models.SpacyNer(d.train, d.validation, config, seed=suite.SEED, overrides=fast)
    assert {type(p.model.ops).__name__ for _, p in model.nlp.pipeline} == {"PinnedOps"}


def test_committed_table_matches_committed_results(repo: Project) -> None:
    results = json.loads((repo.baselines / "results.json").read_text(encoding="utf-8"))
    assert (repo.baselines / "RESULTS.md").read_text(encoding="utf-8") == results_markdown(results)
    readme = (repo.root / "README.md").read_text(encoding="utf-8")
    assert splice(readme, table(results)) == readme
    card = (repo.corpus / "README.md").read_text(encoding="utf-8")
    assert table(results) in card


def test_committed_results_were_computed_on_the_committed_corpus(repo: Project) -> None:
    scheme = load_scheme(repo.scheme)
    results = json.loads((repo.baselines / "results.json").read_text(encoding="utf-8"))
    assert results["run"]["dataset_sha256"] == suite.dataset_checksum(repo.corpus)
    digest = hashlib.sha256()  # the same, spelt out: names and bytes of the parquet files
    for path in sorted(repo.corpus.rglob("*.parquet")):
        digest.update(path.relative_to(repo.corpus).as_posix().encode() + b"\0" + path.read_bytes())
    assert results["run"]["dataset_sha256"] == digest.hexdigest()
    assert results["run"]["seed"] == suite.SEED and scheme.entity_names


def test_table_does_not_depend_on_dict_order(repo: Project) -> None:
    results = json.loads((repo.baselines / "results.json").read_text(encoding="utf-8"))
    shuffled = json.loads(json.dumps(results))
    shuffled["significance"] = dict(reversed(list(shuffled["significance"].items())))
    shuffled["cross_validation"]["strict_f1"] = dict(
        reversed(list(shuffled["cross_validation"]["strict_f1"].items()))
    )
    assert table(shuffled) == table(results)


def test_tune_compares_rounded_scores_and_breaks_ties_to_the_smaller_c() -> None:
    # 0.4930 and 0.4895 round to 0.49, 0.4965 to 0.50: C=1 wins by a visible margin
    scores = {0.1: 0.4930, 1.0: 0.4965, 10.0: 0.4895}
    model, c, tried = suite.tune(lambda c: c, lambda m: scores[m])
    assert (model, c) == (1.0, 1.0)
    assert tried == {"0.1": 0.493, "1.0": 0.4965, "10.0": 0.4895}
    # 0.4930 and 0.4940 both round to 0.49: a tie, so the smaller C
    scores = {0.1: 0.4930, 1.0: 0.4940, 10.0: 0.4895}
    assert suite.tune(lambda c: c, lambda m: scores[m])[1] == 0.1


def test_against_recorded_keeps_the_recorded_platform_only_when_every_figure_agrees(
    tmp_path: Path,
) -> None:
    path = tmp_path / "results.json"
    recorded = {"entities": {"x": 1}, "platform": {"cpu_model": "Recorded CPU"}}
    path.write_text(json.dumps(recorded), encoding="utf-8")
    run = {"entities": {"x": 1}, "platform": {"cpu_model": "Other CPU", "cpu_count": 2}}
    kept, verdict = suite.against_recorded(run, path)
    assert kept["platform"] == {"cpu_model": "Recorded CPU"}
    assert verdict == (
        "REPRODUCED: every figure equals the recorded results.json (recorded on Recorded CPU; "
        "this run on Other CPU, 2 CPUs)"
    )
    changed, verdict = suite.against_recorded({**run, "entities": {"x": 2}}, path)
    assert changed["platform"]["cpu_model"] == "Other CPU"
    assert (
        verdict == "CHANGED: results.json differs from the recorded one in entities (see git diff)"
    )
    assert suite.against_recorded(run, tmp_path / "none.json")[1].startswith(
        "no recorded results at "
    )


def test_spread_is_mean_and_sample_std() -> None:
    assert suite.spread([0.7, 0.8, 0.9]) == {"strict_f1": [0.7, 0.8, 0.9], "mean": 0.8, "std": 0.1}
    assert suite.spread([0.5]) == {"strict_f1": [0.5], "mean": 0.5, "std": 0.0}


def test_rare_labels_counts_the_held_out_splits(data: tuple[Scheme, Data]) -> None:
    scheme, d = data
    # validation and test hold 2 documents each of the 4 fixture sentences: per split 12 GPE,
    # 6 GROUP, 4 PER mentions; 6 LOCATED_IN, 4 SUPPORTS, 2 CONTROLS, 2 MEETS relations
    rare = suite.rare_labels(d, scheme, below=5)
    assert rare["test"] == rare["validation"]
    assert rare["test"]["entities"] == {"PER": 4, "ORG": 0, "LOC": 0, "FAC": 0, "NORP": 0}
    assert rare["test"]["relations"] == {
        "SUPPORTS": 4,
        "ATTACKS": 0,
        "CONTROLS": 2,
        "LEADS": 0,
        "MEMBER_OF": 0,
        "MEETS": 2,
    }


def test_system_labels_are_the_outputs_spelling() -> None:
    assert System("lexicon").label == "lexicon"
    assert System("sklearn-relations", Setting.GOLD).label == "sklearn-relations@gold"
    e2e = System("type-pair-prior", Setting.END_TO_END, "spacy-ner")
    assert e2e.label == "type-pair-prior@spacy-ner"
    assert e2e != System("type-pair-prior", Setting.GOLD)
    with pytest.raises(ValueError, match="an entity model is named exactly for end to end"):
        System("type-pair-prior", Setting.END_TO_END)
    with pytest.raises(ValueError, match="got 'lexicon'"):
        System("sklearn-relations", Setting.GOLD, "lexicon")


def test_registry_names_every_model_once_and_finds_them() -> None:
    names = [k.name for k in (*registry.ENTITY_MODELS, *registry.RELATION_MODELS)]
    assert names == ["lexicon", "sklearn-ner", "spacy-ner", "type-pair-prior", "sklearn-relations"]
    assert registry.entity_model("sklearn-ner") is models.SklearnNer
    assert registry.relation_model("type-pair-prior") is models.TypePairPrior
    with pytest.raises(KeyError, match="no entity model 'crf': the registry has lexicon, "):
        registry.entity_model("crf")
    assert suite.SELECTION_RULE.endswith("(the smaller C; lexicon < sklearn-ner < spacy-ner)")


class NothingNer(models.EntityModel):
    """A model added for the test: it finds no entity; it joins the k-fold."""

    name = "nothing"
    kfold = True

    @classmethod
    def fit(cls, training: models.Training, *, c: float = 1.0, seed: int = 0) -> "NothingNer":
        return cls()

    def predict(self, doc_id: str, text: str) -> Document:
        return Document(doc_id, text, (), ())


def test_a_model_added_to_the_registry_is_trained_scored_and_compared(
    data: tuple[Scheme, Data], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One class and one registry line: the suite scores it, compares it, and runs it in the
    k-fold; the end-to-end systems use the best entity model on validation."""
    scheme, d = data
    monkeypatch.setattr(suite, "ENTITY_MODELS", (models.LexiconNer, NothingNer))
    monkeypatch.setattr(suite, "RELATION_MODELS", (models.TypePairPrior,))
    results, predictions = suite.run(d, scheme, Path("unused.cfg"), lambda m: None)
    assert set(results["entities"]) == {"lexicon", "nothing"}
    assert results["entities"]["nothing"]["strict"]["f1"] == 0.0
    assert results["relations"]["end_to_end_entity_model"] == "lexicon"
    assert list(predictions) == [
        "lexicon",
        "nothing",
        "type-pair-prior@gold",
        "type-pair-prior@lexicon",
    ]
    (comparison,) = results["significance"]["entities_strict"]
    assert (comparison["system"], comparison["against"]) == ("nothing", "lexicon")
    assert results["tuning"] == {}
    cv = suite.cross_validation(d, scheme, lambda m: None, results["tuning"])
    assert set(cv["strict_f1"]) == {"lexicon", "nothing"}
    assert cv["strict_f1"]["nothing"] == {"folds": [0.0] * suite.K_FOLDS, "mean": 0.0, "std": 0.0}


def test_error_analysis_covers_the_entity_models_only(
    data: tuple[Scheme, Data], tmp_path: Path
) -> None:
    scheme, d = data
    lexicon = models.LexiconNer(d.train, scheme.entity_names)
    predicted = [lexicon.predict(x.doc_id, x.text) for x in d.test]
    written = write_error_analysis(
        tmp_path,
        d.test,
        {"lexicon": predicted, "type-pair-prior@gold": d.test, "type-pair-prior@lexicon": d.test},
        scheme.entity_names,
    )
    assert sorted(p.name for p in written) == [
        "confusion-lexicon.png",
        "errors.md",
        "gold-vs-lexicon.html",
    ]
    assert "## lexicon" in (tmp_path / "errors.md").read_text(encoding="utf-8")


def test_stale_transformer_predictions_are_left_out_when_their_results_are(
    data: tuple[Scheme, Data], tmp_path: Path
) -> None:
    """After the dataset changed, the committed minilm predictions lack the new test documents;
    the classic run (which drops the stale transformer results) must not read them."""
    from frontline.cli.baselines import _committed_predictions, write_predictions
    from frontline.errors import FrontlineError

    scheme, d = data
    project = Project(tmp_path)
    write_predictions(
        project.baselines / "predictions",
        {
            "lexicon": list(d.test),
            "minilm-ner": list(d.test[:1]),
            "minilm-relations@gold": list(d.test[:1]),
            "type-pair-prior@gold": list(d.test),
        },
    )
    assert list(_committed_predictions(project, d, scheme, transformer=False)) == ["lexicon"]
    classic = _committed_predictions(project, d, scheme, transformer=False, every_system=True)
    assert list(classic) == ["lexicon", "type-pair-prior@gold"]
    with pytest.raises(FrontlineError, match=r"minilm-ner.jsonl: no prediction for document d7"):
        _committed_predictions(project, d, scheme, transformer=True)


def test_reproducibility_note_says_what_is_exact_and_what_the_pinning_guards_against(
    tmp_path: Path,
) -> None:
    rep = suite.reproducibility(tmp_path / "spread.json", "abc")  # no spread measured
    note = reproducibility_note({"reproducibility": rep})
    assert rep["spacy_ner_spread"] is None and "guard" not in note
    assert "spacy-ner" in rep["exact"] and "frontline.baselines.blas" in note
    spread = {
        "dataset_sha256": "abc",
        "runs": [{}, {}],
        "strict_f1_min": 0.75,
        "strict_f1_max": 0.78,
        "strict_f1_range": 0.03,
    }
    (tmp_path / "spread.json").write_text(json.dumps(spread), encoding="utf-8")
    note = reproducibility_note(
        {"reproducibility": suite.reproducibility(tmp_path / "spread.json", "abc")}
    )
    assert note.endswith(
        "moves by 0.0300 (0.7500 to 0.7800) over 2 settings (`scripts/numerics_spread.py`)."
    )
    # a spread measured on another dataset is not copied
    assert suite.reproducibility(tmp_path / "spread.json", "other")["spacy_ner_spread"] is None


def test_a_failed_predictions_write_leaves_the_old_file_whole(
    data: tuple[Scheme, Data], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from frontline.cli.baselines import write_predictions

    _, d = data
    folder = tmp_path / "predictions"
    write_predictions(folder, {"lexicon": list(d.test)})
    before = (folder / "lexicon.jsonl").read_bytes()

    def refuse(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("frontline.core.files.os.replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_predictions(folder, {"lexicon": list(d.test[:1])})
    assert (folder / "lexicon.jsonl").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["lexicon.jsonl"]  # no temporary left


def test_quiet_drops_spacys_training_table(
    data: tuple[Scheme, Data], repo: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    """``frontline baselines -q`` trains inside ``silenced(True)``; without -q the table shows."""
    from frontline.cli.baselines import silenced

    _, d = data
    fast = {"training.max_steps": 4, "training.eval_frequency": 2}
    config = repo.baselines / "configs" / "ner.cfg"
    for quiet in (False, True):
        with silenced(quiet):
            models.SpacyNer(d.train, d.validation, config, seed=suite.SEED, overrides=fast)
        out = capsys.readouterr().out
        assert ("LOSS NER" in out) is not quiet, out
