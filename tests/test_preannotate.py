"""Pre-annotation from the trained baselines (frontline.studio.preannotate, issue 17)."""

import json

import pytest
from fixtures import ARTICLE, DOC, task
from test_baselines import make_doc

from frontline.baselines import models
from frontline.cli import main
from frontline.core.articles import add_articles, make_article
from frontline.core.documents import Document, Entity, Relation, to_result
from frontline.core.labelconfig import FROM_NAME, TO_NAME
from frontline.core.scheme import load_scheme
from frontline.core.text import parse
from frontline.studio import client, preannotate, service

FAST_SPACY = {"training.max_steps": 30, "training.eval_frequency": 10}
C = {"sklearn-ner": 1.0, "sklearn-relations": 10.0}
KINDS = [
    "lexicon",
    "sklearn-ner",
    "spacy-ner",
    "sklearn-ner+sklearn-relations",
    "spacy-ner+sklearn-relations",
    "lexicon+type-pair-prior",
]


@pytest.fixture(scope="module")
def scheme(repo):
    return load_scheme(repo.scheme)


@pytest.fixture(scope="module")
def docs(scheme):
    return [make_doc(f"d{k}", [(k + j) % 4 for j in range(4)], scheme) for k in range(8)]


@pytest.fixture(scope="module")
def trained(docs, scheme, repo):
    return preannotate.train_all(
        KINDS,
        docs[:4],
        docs[4:6],
        scheme,
        c=C,
        version="9.9.9",
        ner_config=repo.baselines / "configs" / "ner.cfg",
        spacy_overrides=FAST_SPACY,
    )


# --- the exact-match shares --------------------------------------------------------------


def test_exact_matches_counts_same_start_end_label_and_same_spans_label():
    e = DOC.entities  # Iran GPE, Iraqi militias GROUP, Syria GPE, Rebels GROUP, Aleppo GPE
    predicted = Document(
        "tiny",
        DOC.text,
        (
            e[0],  # right
            Entity(11, 16, "GROUP", "Iraqi", "x"),  # wrong end
            Entity(29, 34, "ORG", "Syria", "y"),  # wrong label
            e[3],
            e[4],  # right, right
            Entity(5, 10, "GPE", "backs", "z"),  # not gold: does not count either way
        ),
        (
            Relation(
                0, 1, "SUPPORTS"
            ),  # tail span differs from the gold's (Iraqi vs Iraqi militias)
            Relation(1, 2, "LOCATED_IN"),  # head span differs
            Relation(3, 4, "CONTROLS"),  # right
            Relation(4, 3, "CONTROLS"),  # reversed: not gold
        ),
    )
    assert preannotate.exact_matches([DOC], [predicted]) == preannotate.Matches(3, 5, 1, 3)
    # a relation on a region with the wrong label but the same spans is still right
    relabelled = Document(
        "tiny",
        DOC.text,
        tuple(Entity(x.start, x.end, "ORG", x.text, x.id) for x in e),
        DOC.relations,
    )
    assert preannotate.exact_matches([DOC, DOC], [relabelled, DOC]) == preannotate.Matches(
        5, 10, 6, 6
    )
    empty = Document("tiny", DOC.text, (), ())
    assert preannotate.exact_matches(
        [DOC], [empty], proposes_relations=False
    ) == preannotate.Matches(0, 5, 0, 3, False)


def test_exact_matches_refuses_misaligned_documents():
    with pytest.raises(ValueError):
        preannotate.exact_matches([DOC], [Document("other", DOC.text, (), ())])


def test_measure_scores_only_articles_not_trained_on(docs, scheme, repo):
    splits = {
        d.doc_id: s
        for d, s in zip(docs, ["train"] * 4 + ["validation"] * 2 + ["test"] * 2, strict=True)
    }
    extra = make_doc(
        "unsplit", [0], scheme
    )  # an article of no split is neither trained nor scored on
    measured = preannotate.measure(
        [*docs, extra],
        splits,
        scheme,
        c=C,
        names=["lexicon"],
        version="v",
        ner_config=repo.baselines / "configs" / "ner.cfg",
    )
    # 4 held-out articles of the 4 sentences: 11 mentions and 7 relations each; the lexicon knows
    # every string
    assert measured == {"lexicon": preannotate.Matches(44, 44, 0, 28, False)}
    lines = preannotate.matches_table(measured, 4, 4)
    assert "| lexicon | 44 / 44 (100.0%) | — (no relations proposed) |" in lines
    assert any("never trained on" in line for line in lines)


# --- the prediction payload ------------------------------------------------------------------


@pytest.mark.parametrize("name", KINDS)
def test_prediction_payload_shape(trained, docs, name):
    doc = docs[6]
    article = make_article(
        doc.text,
        id=doc.doc_id,
        title="t",
        date="2024-12-01",
        url="https://example.org/x",
        license="CC BY 4.0",
    )
    (prediction,) = client.task_payload(article, trained[name])["predictions"]
    assert prediction["model_version"] == f"{name}@9.9.9"
    regions = [r for r in prediction["result"] if r["type"] == "labels"]
    relations = [r for r in prediction["result"] if r["type"] == "relation"]
    assert len(regions) + len(relations) == len(prediction["result"]) and regions
    ids = [r["id"] for r in regions]
    assert len(set(ids)) == len(ids)
    scored = name.split("+")[0] != "lexicon"
    for r in regions:
        assert (r["from_name"], r["to_name"]) == (FROM_NAME, TO_NAME)
        v = r["value"]
        assert (
            set(v) == {"start", "end", "text", "labels"}
            and doc.text[v["start"] : v["end"]] == v["text"]
        )
        assert len(v["labels"]) == 1
        assert ("score" in r) == scored and (not scored or 0 <= r["score"] <= 1)
    # the type-pair prior keeps no rule on this fixture (see test_baselines): no relations from it
    assert bool(relations) == name.endswith("+sklearn-relations")
    for r in relations:
        assert (
            r["from_id"] in ids
            and r["to_id"] in ids
            and r["direction"] == "right"
            and len(r["labels"]) == 1
        )
        assert ("score" in r) == name.endswith("sklearn-relations")
    item_scores = [r["score"] for r in prediction["result"] if "score" in r]
    if item_scores:
        assert prediction["score"] == pytest.approx(sum(item_scores) / len(item_scores), abs=1e-4)
    else:
        assert "score" not in prediction


def test_sklearn_region_score_is_the_mean_of_the_tokens_top_probability(trained, docs):
    model = trained["sklearn-ner"]
    doc = docs[6]
    scored = model.scored(doc.doc_id, doc.text)
    assert scored.doc == model.entity_model.predict(
        doc.doc_id, doc.text
    )  # the same regions as the baseline
    k, e = next((k, x) for k, x in enumerate(scored.doc.entities) if x.text == "Iraqi militias")
    ner = model.entity_model
    ((tokens, lex),) = [
        (toks, lex)
        for toks, lex in ner._sentence_features(doc.text, parse(doc.text))
        if toks[0].idx <= e.start <= toks[-1].idx
    ]
    proba = ner.model.predict_proba(
        ner.vectorizer.transform(
            [models.token_features(tokens, i, lex) for i in range(len(tokens))]
        )
    )
    inside = [proba[n].max() for n, t in enumerate(tokens) if e.start <= t.idx < e.end]
    assert len(inside) == 2
    assert scored.entity_scores[k] == pytest.approx(sum(inside) / 2, abs=1e-4)


def test_relations_are_those_of_the_baseline(trained, docs):
    model = trained["sklearn-ner+sklearn-relations"]
    doc = docs[6]
    entities = model.entity_model.predict(doc.doc_id, doc.text)
    assert model.predict(doc.doc_id, doc.text) == model.relation_model.predict(entities)


# --- the command line ---------------------------------------------------------------------


def test_unknown_model_is_refused_with_the_valid_names(empty_project, capsys):
    add_articles(empty_project.seeds, [ARTICLE])
    assert (
        main(["--root", str(empty_project.root), "--quiet", "push", "--predictions", "spacy"]) == 1
    )
    err = capsys.readouterr().err
    assert "unknown model 'spacy'" in err
    for name in (*preannotate.MODELS, "none"):
        assert name in err
    assert (
        "spacy-ner+sklearn-relations" in preannotate.MODELS
        and "sklearn-ner+sklearn-relations" in preannotate.MODELS
    )


def test_trained_model_needs_the_tuning_record(empty_project, capsys):
    add_articles(empty_project.seeds, [ARTICLE])
    assert (
        main(["--root", str(empty_project.root), "--quiet", "push", "--predictions", "sklearn-ner"])
        == 1
    )
    assert "run `frontline baselines` first" in capsys.readouterr().err


@pytest.mark.studio
def test_push_with_sklearn_predictions_reads_back_through_the_sdk(
    empty_project, studio_server, ls, docs, monkeypatch, capsys
):
    from frontline.release.dataset import DATASET_VERSION

    add_articles(empty_project.seeds, [ARTICLE])
    empty_project.baselines.mkdir()
    (empty_project.baselines / "results.json").write_text(
        json.dumps({"tuning": {"sklearn-ner": {"C": 1.0}, "sklearn-relations": {"C": 10.0}}})
    )
    monkeypatch.setattr(preannotate, "load_training", lambda corpus, scheme: (docs[:4], docs[4:6]))
    monkeypatch.setenv(service.ENV_TOKEN, service.api_token(studio_server.state, env={}))
    monkeypatch.setenv(service.ENV_URL, studio_server.url)
    name = "sklearn-ner+sklearn-relations"
    assert (
        main(
            [
                "--root",
                str(empty_project.root),
                "--quiet",
                "push",
                "--project",
                "sklearn predicted",
                "--predictions",
                name,
            ]
        )
        == 0
    )
    assert f"trained {name}@{DATASET_VERSION} in" in capsys.readouterr().out
    project = client.find_project(ls, "sklearn predicted")
    (task,) = list(ls.tasks.list(project=project.id))
    (prediction,) = ls.predictions.list(task=task.id)
    assert prediction.model_version == f"{name}@{DATASET_VERSION}"
    assert 0 < prediction.score <= 1
    result = prediction.result
    regions = {r["id"]: r["value"]["text"] for r in result if r["type"] == "labels"}
    assert sorted(regions.values()) == sorted(e.text for e in DOC.entities)
    pairs = {
        (regions[r["from_id"]], regions[r["to_id"]], r["labels"][0])
        for r in result
        if r["type"] == "relation"
    }
    assert ("Rebels", "Aleppo", "CONTROLS") in pairs


def test_the_export_s_own_pre_annotations_are_scored_against_the_gold():
    # the model found Iran, the militias and Syria but not Rebels or Aleppo, and one relation
    guess = Document("tiny", DOC.text, DOC.entities[:3], (Relation(0, 1, "SUPPORTS"),))
    exported = task(to_result(DOC))
    exported["predictions"] = [{"model_version": "m@1", "result": to_result(guess)}]
    unpredicted = task(to_result(DOC), doc_id="other")
    measured = preannotate.pushed_matches([exported, unpredicted], [DOC])
    assert measured == {"m@1": (1, preannotate.Matches(3, 5, 1, 3))}
    table = preannotate.pushed_table(measured)
    assert table[-1] == "| m@1 | 1 | 3 / 5 (60.0%) | 1 / 3 (33.3%) |"
