"""The Label Studio pipeline against a real server (see the ``studio_server`` fixture)."""

import dataclasses

import pytest
from fixtures import ARTICLE, DOC

from frontline.core.articles import make_article
from frontline.core.documents import to_result
from frontline.core.scheme import load_scheme
from frontline.gold.exports import dumps, gold_documents, write_export
from frontline.gold.validate import export_problems
from frontline.studio import client

pytestmark = pytest.mark.studio

OTHERS = [
    make_article(
        f"Troops entered town number {i}.",
        id=f"other-{i}",
        title=f"Other {i}",
        date="2024-12-02",
        url=f"https://example.org/{i}",
        license="CC BY 4.0",
    )
    for i in range(3)
]
ARTICLES = [ARTICLE, *OTHERS]


@pytest.fixture(scope="module")
def scheme(repo):
    return load_scheme(repo.scheme)


def doc_ids(ls, project_id):
    return sorted(client.existing_doc_ids(ls, project_id).elements())


def test_push_twice_leaves_one_task_per_article(ls, scheme):
    first = client.push(ls, ARTICLES, scheme, title="twice", batch_size=2, progress=False)
    assert first.created and sorted(first.imported) == sorted(a.id for a in ARTICLES)
    second = client.push(ls, ARTICLES, scheme, title="twice", batch_size=2, progress=False)
    assert (second.created, second.config_updated, second.imported) == (False, False, [])
    assert second.project_id == first.project_id
    assert doc_ids(ls, first.project_id) == sorted(a.id for a in ARTICLES)


def test_interrupted_push_resumes(ls, scheme, monkeypatch):
    real = ls.projects.import_tasks
    calls = []

    def crash_on_second_batch(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise ConnectionError("network dropped")
        return real(**kwargs)

    monkeypatch.setattr(ls.projects, "import_tasks", crash_on_second_batch)
    with pytest.raises(ConnectionError):
        client.push(ls, ARTICLES, scheme, title="interrupted", batch_size=2, progress=False)
    monkeypatch.undo()
    project = client.find_project(ls, "interrupted")
    assert doc_ids(ls, project.id) == ["other-0", "other-1"]
    report = client.push(ls, ARTICLES, scheme, title="interrupted", batch_size=2, progress=False)
    assert sorted(report.imported) == ["other-2", "tiny"]
    assert doc_ids(ls, project.id) == sorted(a.id for a in ARTICLES)


def test_predictions_are_attached_with_model_version(ls, scheme):
    def predict(article):
        return "test-model-1", to_result(DOC) if article.id == "tiny" else []

    client.push(ls, [ARTICLE], scheme, title="predicted", predict=predict, progress=False)
    (task,) = client.pull(ls, "predicted")
    (prediction,) = task["predictions"]
    assert prediction["model_version"] == "test-model-1"
    assert prediction["result"] == to_result(DOC)


def test_round_trip_keeps_every_span_relation_and_annotator(ls, scheme, tmp_path):
    report = client.push(ls, [ARTICLE], scheme, title="round trip", progress=False)
    (task_id,) = [t.id for t in ls.tasks.list(project=report.project_id)]
    first = client.annotator(ls, "annotator-1@frontline.local", "a-long-password-1")
    second = client.annotator(ls, "annotator-2@frontline.local", "a-long-password-2")
    assert client.annotator(ls, "annotator-1@frontline.local", "ignored") == first
    other = dataclasses.replace(DOC, entities=DOC.entities[:2], relations=DOC.relations[:1])
    client.annotate(ls, task_id, other, user_id=second, ground_truth=False, lead_time=12.5)
    client.annotate(ls, task_id, DOC, user_id=first, ground_truth=True, lead_time=30.0)

    tasks = client.pull(ls, "round trip")
    assert export_problems(tasks, {"tiny": ARTICLE}, scheme) == []
    (task,) = tasks
    by_user = {a["completed_by"]["email"]: a for a in task["annotations"]}
    assert sorted(by_user) == ["annotator-1@frontline.local", "annotator-2@frontline.local"]
    assert by_user["annotator-1@frontline.local"]["lead_time"] == 30.0
    documents, missing = gold_documents(tasks)
    assert documents == [DOC] and missing == []

    path = tmp_path / "gold.json"
    assert write_export(path, tasks)
    assert write_export(path, client.pull(ls, "round trip")) is False  # deterministic
    assert path.read_text(encoding="utf-8") == dumps(tasks)


def test_server_accepts_bad_results_and_validation_catches_them(ls, scheme):
    report = client.push(ls, [ARTICLE], scheme, title="malformed", progress=False)
    (task_id,) = [t.id for t in ls.tasks.list(project=report.project_id)]
    bad = to_result(DOC)
    bad[0]["value"]["end"] = 5  # "Iran " but value.text still "Iran"
    bad[1]["value"]["labels"] = ["MILITIA"]
    bad.append(
        {
            "type": "relation",
            "from_id": "e4",
            "to_id": "ghost",
            "direction": "right",
            "labels": ["ATTACKS"],
        }
    )
    ls.annotations.create(id=task_id, result=bad, ground_truth=True)
    problems = [
        str(p) for p in export_problems(client.pull(ls, "malformed"), {"tiny": ARTICLE}, scheme)
    ]
    prefix = f"doc tiny task {task_id} annotation "
    assert len(problems) == 3 and all(p.startswith(prefix) for p in problems)
    assert problems[0].endswith("region e1: value.text 'Iran' != text[0:5] 'Iran '")
    assert problems[1].endswith("region e2: unknown entity label 'MILITIA'")
    assert problems[2].endswith("region e4->ghost: relation to missing region(s) ['ghost']")


def test_config_that_orphans_annotations_is_refused_unless_forced(ls, scheme):
    report = client.push(ls, [ARTICLE], scheme, title="orphans", progress=False)
    (task_id,) = [t.id for t in ls.tasks.list(project=report.project_id)]
    ann = ls.annotations.create(id=task_id, result=to_result(DOC), ground_truth=True)
    smaller = dataclasses.replace(
        scheme,
        entities=tuple(e for e in scheme.entities if e.name != "GROUP"),
        relations=tuple(r for r in scheme.relations if r.name != "CONTROLS"),
    )
    with pytest.raises(client.SyncError) as err:
        client.push(ls, [ARTICLE], smaller, title="orphans", progress=False)
    where = f"doc tiny task {task_id} annotation {ann.id}"
    assert f"{where}: label 'CONTROLS'" in str(err.value)
    assert f"{where}: label 'GROUP'" in str(err.value)
    assert "GROUP" in ls.projects.get(id=report.project_id).label_config  # unchanged
    forced = client.push(ls, [ARTICLE], smaller, title="orphans", force=True, progress=False)
    assert forced.config_updated
    assert 'value="GROUP"' not in ls.projects.get(id=report.project_id).label_config


def test_documents_round_trip_through_the_server(ls, scheme, repo, tmp_path):
    """documents config -> tasks with annotations -> server -> export -> documents, exactly."""
    from datasets import load_dataset

    from frontline.core.articles import load_articles
    from frontline.release.dataset import document_from_row
    from frontline.studio.tasks import task_data

    rows = load_dataset(str(repo.corpus), "documents", cache_dir=str(tmp_path / "cache"))["test"]
    originals = [document_from_row(r, scheme.entity_names, scheme.relation_names) for r in rows]
    articles = {a.id: a for a in load_articles(repo.seeds)}
    project = ls.projects.create(
        title="documents round trip", label_config=client.label_config(scheme)
    )
    ls.projects.import_tasks(
        id=project.id,
        request=[
            {
                "data": task_data(articles[d.doc_id]),
                "annotations": [{"result": to_result(d), "ground_truth": True}],
            }
            for d in originals
        ],
    )
    tasks = client.pull(ls, "documents round trip")
    assert export_problems(tasks, articles, scheme) == []
    documents, missing = gold_documents(tasks)
    assert missing == [] and documents == sorted(originals, key=lambda d: d.doc_id)
    assert sum(len(d.relations) for d in documents) == sum(len(r["relations"]) for r in rows) > 0


def test_annotate_is_idempotent_and_moves_the_ground_truth(ls, scheme):
    report = client.push(ls, [ARTICLE], scheme, title="adjudication", progress=False)
    (task_id,) = [t.id for t in ls.tasks.list(project=report.project_id)]
    first = client.annotator(ls, "first@frontline.local", "a-long-password-1")
    judge = client.annotator(ls, "judge@frontline.local", "a-long-password-3")
    saved = client.annotate(ls, task_id, DOC, user_id=first, ground_truth=True)
    assert (saved.action, saved.unmarked) == ("created", ())
    again = client.annotate(ls, task_id, DOC, user_id=first, ground_truth=True)
    assert (again.annotation_id, again.action) == (saved.annotation_id, "unchanged")
    smaller = dataclasses.replace(DOC, relations=DOC.relations[:1])
    revised = client.annotate(ls, task_id, smaller, user_id=first, ground_truth=True)
    assert (revised.annotation_id, revised.action) == (saved.annotation_id, "updated")
    adjudicated = client.annotate(ls, task_id, DOC, user_id=judge, ground_truth=True)
    assert adjudicated.action == "created" and adjudicated.unmarked == (saved.annotation_id,)
    (task,) = client.pull(ls, "adjudication")
    marks = {a["completed_by"]["email"]: a["ground_truth"] for a in task["annotations"]}
    assert marks == {"first@frontline.local": False, "judge@frontline.local": True}
    assert gold_documents([task])[0] == [DOC]
