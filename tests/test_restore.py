"""``frontline restore`` (issue 17): the committed export back into Label Studio, against real
servers.

A restore is checked on servers that have never held a project (copies of one blank data dir,
which start in seconds), where Label Studio gives out the export's own ids, so that a pull
can be compared with the committed file byte for byte.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path

import pytest

from frontline.cli import main
from frontline.core.articles import load_articles
from frontline.core.documents import from_result
from frontline.core.scheme import load_scheme
from frontline.gold.exports import dumps, read_export
from frontline.gold.validate import export_problems
from frontline.studio import client, restore, service

REPO = Path(__file__).resolve().parents[1]
TITLE = "Frontline gold"
FIRST, SECOND = "annotator-1@frontline.local", "annotator-2@frontline.local"


def server_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("FRONTLINE_LS_")}


@pytest.fixture(scope="module")
def blank_studio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The state folder of a server that was started once (migrations, admin user and token)
    and stopped: nothing else is in it."""
    state = tmp_path_factory.mktemp("blank-studio")
    service.start(state, port=service.free_port(), env=server_env())
    service.stop(state)
    return state


@pytest.fixture()
def fresh_server(blank_studio: Path, tmp_path_factory: pytest.TempPathFactory):
    """Start a server that has never held a project (a copy of the blank one): (url, token,
    client)."""
    started: list[Path] = []

    def start():
        state = tmp_path_factory.mktemp("fresh-studio")
        state.chmod(0o700)
        shutil.copytree(blank_studio / "studio", state / "studio")
        shutil.copy2(blank_studio / "credentials.json", state / "credentials.json")
        started.append(state)
        server = service.start(state, port=service.free_port(), env=server_env())
        token = service.api_token(state, env={})
        return server.url, token, client.connect(server.url, token)

    yield start
    for state in started:
        service.stop(state)


@pytest.fixture(scope="module")
def scheme():
    return load_scheme(REPO / "annotation" / "scheme.toml")


@pytest.fixture(scope="module")
def articles():
    return {a.id: a for a in load_articles(REPO / "seeds")}


def as_committed(tasks: list[dict]) -> list[dict]:
    """The tasks as a file written by ``frontline pull`` gives them back."""
    return json.loads(dumps(tasks))


def only_clock(comparison: restore.Comparison) -> bool:
    return all(place.rsplit(".", 1)[-1] in restore.CLOCK for place in comparison.fields)


# --- a small export, made by a real server as annotators make one --------------------------


def make_small_export(ls, scheme, articles, *, later_prediction_on: int) -> list[dict]:
    """Three articles of the gold pushed with predictions, annotated by two annotators (one
    ground truth per task, by either; one annotation cancelled; those of one task made with
    pre-annotation off), and a later prediction with a score on task ``later_prediction_on``: the
    server's full export."""
    gold = sorted(
        read_export(REPO / "annotation" / "exports" / "frontline-gold.json"), key=lambda t: t["id"]
    )
    chosen = [t for t in gold if len(t["annotations"]) == 3][:3]
    result = {
        (t["data"]["doc_id"], a["completed_by"]["email"]): a["result"]
        for t in chosen
        for a in t["annotations"]
    }

    def predict(article):
        spans = [r for r in result[(article.id, FIRST)] if r["type"] == "labels"][:4]
        return "fixture-model-1", spans

    picked = [articles[t["data"]["doc_id"]] for t in chosen]
    report = client.push(ls, picked, scheme, title=TITLE, predict=predict, progress=False)
    first = client.annotator(ls, FIRST, "a-long-password-1")
    second = client.annotator(ls, SECOND, "a-long-password-2")
    for n, article in enumerate(picked):
        task_id = client.task_of(ls, report.project_id, article.id)
        if n == 2:  # pre-annotation switched off: the annotations copy no prediction
            ls.projects.update(id=report.project_id, model_version="")
        for user, email in ((first, FIRST), (second, SECOND)):
            doc = from_result(article.id, article.text, result[(article.id, email)])
            client.annotate(
                ls,
                task_id,
                doc,
                user_id=user,
                ground_truth=(n == 1) == (email == SECOND),
                lead_time=10.0 * (n + 1) if email == FIRST else None,
            )
        if n == 2:
            ls.annotations.create(id=task_id, result=[], completed_by=second, was_cancelled=True)
            ls.projects.update(id=report.project_id, model_version="fixture-model-1")
    later = client.task_of(ls, report.project_id, picked[later_prediction_on].id)
    ls.predictions.create(
        task=later,
        result=[
            r for r in result[(picked[later_prediction_on].id, SECOND)] if r["type"] == "labels"
        ][:2],
        model_version="fixture-model-2",
        score=0.42,
    )
    return client.pull(ls, TITLE)


@pytest.mark.studio
@pytest.mark.parametrize(
    "later_prediction_on", [2, 0], ids=["predictions-in-bulk", "predictions-one-by-one"]
)
def test_small_export_round_trip(fresh_server, scheme, articles, later_prediction_on, monkeypatch):
    *_, source = fresh_server()
    committed = as_committed(
        make_small_export(source, scheme, articles, later_prediction_on=later_prediction_on)
    )
    assert export_problems(committed, articles, scheme) == []
    annotations = [a for t in committed for a in t["annotations"]]
    assert {a["completed_by"]["email"] for a in annotations} == {FIRST, SECOND}
    assert [sum(a["ground_truth"] for a in t["annotations"]) for t in committed] == [1, 1, 1]
    assert sum(a["was_cancelled"] for a in annotations) == 1
    assert sum(not a["prediction"] for a in annotations) == 3  # made with pre-annotation off
    assert sorted(
        (p["model_version"], p["score"]) for t in committed for p in t["predictions"]
    ) == [("fixture-model-1", None)] * 3 + [("fixture-model-2", 0.42)]

    *_, ls = fresh_server()
    one_by_one = []
    create = ls.predictions.create
    monkeypatch.setattr(
        ls.predictions, "create", lambda **fields: one_by_one.append(fields) or create(**fields)
    )
    report = restore.restore(ls, committed, scheme, title=TITLE, progress=False)
    monkeypatch.undo()
    # in bulk with their tasks when that keeps the order of their ids (a later prediction of the
    # last task)
    assert len(one_by_one) == (0 if later_prediction_on == 2 else 4)
    assert (report.project_created, report.accounts_created) == (True, [FIRST, SECOND])
    assert (report.tasks_created, report.annotations_created, report.predictions_created) == (
        3,
        7,
        4,
    )
    pulled = client.pull(ls, TITLE)
    comparison = restore.compare(committed, pulled)
    assert comparison.lost == [] and comparison.extra == []
    # the same ids, unique ids, authors, flags, counts and copied predictions: only the clock
    # differs
    assert only_clock(comparison) and comparison.fields
    assert set(comparison.fields) == {
        "created_at",
        "updated_at",
        "annotations[].created_at",
        "annotations[].updated_at",
        "annotations[].prediction.created_at",
        "annotations[].prediction.updated_at",
        "predictions[].created_at",
        "predictions[].updated_at",
    }
    assert dumps(restore.keep_committed_clock(pulled, committed)) == dumps(committed)

    again = restore.restore(ls, committed, scheme, title=TITLE, progress=False)
    assert again.added == 0 and not again.project_created
    assert (again.tasks_present, again.annotations_present, again.predictions_present) == (3, 7, 4)
    assert dumps(client.pull(ls, TITLE)) == dumps(pulled)

    # into a second project of the same server: other ids (and unique ids, which must be unique
    # on a server), the same meaning
    other = restore.restore(ls, committed, scheme, title="Frontline copy", progress=False)
    assert (other.accounts_created, other.annotations_created, other.predictions_created) == (
        [],
        7,
        4,
    )
    copied = restore.compare(committed, client.pull(ls, "Frontline copy"))
    assert copied.lost == [] and copied.extra == []
    assert {"id", "project", "annotations[].id", "annotations[].unique_id"} <= set(copied.fields)


@pytest.mark.studio
def test_restore_adds_what_an_author_lacks_and_keeps_the_servers_annotations(
    fresh_server, scheme, articles
):
    """A project that already holds some of the work (here: tasks pushed, one annotation made
    differently on the server): restore adds the rest and changes nothing there."""
    *_, source = fresh_server()
    committed = as_committed(make_small_export(source, scheme, articles, later_prediction_on=2))
    *_, ls = fresh_server()
    partial = copy.deepcopy(committed)
    for task in partial:
        task["annotations"] = [
            a for a in task["annotations"] if a["completed_by"]["email"] == FIRST
        ]
        task["predictions"] = []
    partial[0]["annotations"][0]["result"] = partial[0]["annotations"][0]["result"][
        :1
    ]  # the server's own version
    assert (
        partial[1]["annotations"][0]["ground_truth"] is False
    )  # the export's gold of doc 1 is the second's
    partial[1]["annotations"][0]["ground_truth"] = True  # the server's own gold
    restore.restore(ls, partial, scheme, title=TITLE, progress=False)
    before = client.pull(ls, TITLE)
    report = restore.restore(ls, committed, scheme, title=TITLE, progress=False)
    assert (report.tasks_present, report.annotations_present, report.annotations_created) == (
        3,
        3,
        4,
    )
    assert (report.predictions_created, report.predictions_present) == (4, 0)
    doc0, doc1 = (t["data"]["doc_id"] for t in committed[:2])
    assert report.gold_kept == [doc1]
    after = client.pull(ls, TITLE)
    unchanged = {a["id"]: a for t in before for a in t["annotations"]}
    assert all(
        a == unchanged[a["id"]] for t in after for a in t["annotations"] if a["id"] in unchanged
    )
    comparison = restore.compare(committed, after)
    assert comparison.lost == [
        f"doc {doc0}: annotation by {FIRST} (ground truth) missing or different",
        f"doc {doc1}: annotation by {FIRST} missing or different",
        f"doc {doc1}: annotation by {SECOND} (ground truth) missing or different",
    ]
    assert len(comparison.extra) == 3  # the server's versions of them, kept


# --- the whole committed gold, through the commands -------------------------------------------


@pytest.mark.studio
def labelstudio_pull(ls):
    """The project as ``frontline pull`` reads it from the server, before it writes anything."""
    from frontline.studio import client

    return client.pull(ls, client.DEFAULT_TITLE)


def test_restore_command_puts_the_whole_gold_back(fresh_server, tmp_path, monkeypatch, capsys):
    gold = REPO / "annotation" / "exports" / "frontline-gold.json"
    committed_text = gold.read_text(encoding="utf-8")
    root = tmp_path / "checkout"
    (root / "annotation" / "exports").mkdir(parents=True)
    shutil.copy(REPO / "annotation" / "scheme.toml", root / "annotation" / "scheme.toml")
    shutil.copy(gold, root / "annotation" / "exports" / "frontline-gold.json")
    shutil.copytree(REPO / "seeds", root / "seeds")
    url, token, ls = fresh_server()
    monkeypatch.setenv("FRONTLINE_LS_TOKEN", token)
    copy_of_gold = root / "annotation" / "exports" / "frontline-gold.json"

    assert main(["--root", str(root), "-q", "restore", "--url", url]) == 0
    out = capsys.readouterr().out
    assert "created; from" in out and "added 86 task(s), 130 annotation(s), 31 prediction(s)" in out
    assert (
        "created annotator account(s) annotator-1@frontline.local, annotator-2@frontline.local, "
        "adjudicator@frontline.local: their passwords are random, never shown nor stored"
    ) in out
    assert out.endswith(
        "it differs only in the times Label Studio gave it (annotations[].created_at (130), "
        "annotations[].prediction.created_at (47), annotations[].prediction.updated_at (47), "
        "annotations[].updated_at (130), created_at (86), predictions[].created_at (31), "
        "predictions[].updated_at (31), updated_at (86)), which `frontline pull` keeps as "
        "committed\n"
    )
    assert {u.email for u in ls.users.list()} >= {
        "annotator-1@frontline.local",
        "annotator-2@frontline.local",
        "adjudicator@frontline.local",
    }

    assert main(["--root", str(root), "-q", "pull", "--url", url]) == 0
    # pull keeps the committed times of what is unchanged: the file comes back byte for byte
    assert capsys.readouterr().out.startswith(
        f"unchanged: {copy_of_gold}: 86 task(s), 130 annotation(s)"
    )
    assert copy_of_gold.read_text(encoding="utf-8") == committed_text
    pulled = json.loads(dumps(labelstudio_pull(ls)))  # normalised as pull writes it
    committed = read_export(gold)
    comparison = restore.compare(committed, pulled)
    assert comparison.lost == [] and comparison.extra == [] and only_clock(comparison)
    assert dumps(restore.keep_committed_clock(pulled, committed)) == committed_text

    assert main(["--root", str(root), "-q", "restore", "--url", url]) == 0
    out = capsys.readouterr().out
    assert "found; from" in out and "added 0 task(s), 0 annotation(s), 0 prediction(s)" in out
    assert "already there: 86 task(s), 130 annotation(s)" in out and "created annotator" not in out
    assert (
        gold.read_text(encoding="utf-8") == committed_text
    )  # the checkout's file is never touched


# --- without a server -------------------------------------------------------------------------


def test_nameless_authors_are_refused_before_anything_is_done(scheme):
    task = {
        "id": 1,
        "data": {"doc_id": "tiny", "text": "x"},
        "annotations": [{"id": 3, "result": [], "completed_by": 2}],
        "predictions": [],
    }
    with pytest.raises(client.SyncError, match=r"completed_by.email\) of doc tiny annotation 3"):
        restore.restore(None, [task], scheme)  # type: ignore[arg-type]


def test_committed_clock_is_kept_only_for_what_is_unchanged():
    committed = [
        {
            "id": 1,
            "data": {"doc_id": "a"},
            "created_at": "old",
            "updated_at": "old",
            "predictions": [],
            "annotations": [
                {"id": 1, "result": [1], "created_at": "old", "updated_at": "old"},
                {"id": 2, "result": [2], "created_at": "old", "updated_at": "old"},
            ],
        }
    ]
    pulled = copy.deepcopy(committed)
    for item in (pulled[0], *pulled[0]["annotations"]):
        item["created_at"] = item["updated_at"] = "new"
    assert restore.keep_committed_clock(pulled, committed) == committed
    pulled[0]["annotations"][1]["result"] = [3]
    kept = restore.keep_committed_clock(pulled, committed)[0]
    assert (
        kept["created_at"],
        kept["annotations"][0]["created_at"],
        kept["annotations"][1]["created_at"],
    ) == ("new", "old", "new")
    assert restore.compare(committed, pulled).lost == [
        "doc a: annotation by None missing or different"
    ]
