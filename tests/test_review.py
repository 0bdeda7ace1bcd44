"""``frontline review`` and ``frontline accept``: from annotations made in the browser to gold.

The command tests run against the session's real Label Studio (see ``studio_server`` in
conftest.py): each makes its own project through the SDK, with annotations by two annotator
accounts created through the SDK as well, as the browser would save them (no ground truth).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from types import SimpleNamespace

import pytest
from fixtures import ARTICLE, DOC, browser_login

from frontline.cli import main
from frontline.core.articles import make_article
from frontline.core.documents import to_result
from frontline.core.scheme import load_scheme
from frontline.gold.exports import gold_documents
from frontline.studio import client, service
from frontline.studio.review import Annotation, differences, result_items
from frontline.studio.tasks import task_data

OTHER = make_article(
    "Troops entered the town.",
    id="other",
    title="Other",
    date="2024-12-02",
    url="https://example.org/o",
    license="CC BY 4.0",
)
OTHER_RESULT = [
    {
        "id": "o1",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": 0, "end": 6, "text": "Troops", "labels": ["GROUP"]},
    }
]
SMALLER = dataclasses.replace(DOC, entities=DOC.entities[:2], relations=DOC.relations[:1])
FIRST, SECOND = "review-first@frontline.local", "review-second@frontline.local"
NEXT = (
    "next: choose the annotation to release with `frontline accept TASK --annotation ID` "
    "(TASK: a task id or a doc id), then run `frontline pull`, then `frontline build`"
)
_titles = itertools.count(1)


# --- comparing annotations (no server) --------------------------------------------------


def test_regions_and_relations_are_compared_by_offsets_and_labels_not_ids():
    regions, relations = result_items(to_result(DOC))
    assert (0, 4, ("GPE",)) in regions and len(regions) == 5
    assert ((0, 4), (11, 25), ("SUPPORTS",)) in relations and len(relations) == 3
    renamed = to_result(DOC)
    for item in renamed:  # other region ids, one relation drawn right to left: the same annotation
        if item["type"] == "labels":
            item["id"] = "x" + item["id"]
        else:
            item["from_id"], item["to_id"] = "x" + item["from_id"], "x" + item["to_id"]
    renamed[-1]["from_id"], renamed[-1]["to_id"], renamed[-1]["direction"] = (
        renamed[-1]["to_id"],
        renamed[-1]["from_id"],
        "left",
    )
    assert result_items(renamed) == (regions, relations)
    assert result_items(
        [{"type": "relation", "from_id": "e1", "to_id": "gone", "labels": ["MEETS"]}, "junk"]
    ) == (frozenset(), frozenset({(None, None, ("MEETS",))}))
    assert result_items(None) == (frozenset(), frozenset())


def test_differences_count_what_not_every_annotation_has():
    def annotation(doc):
        return Annotation(1, "a", False, False, *result_items(to_result(doc)))

    full, smaller = annotation(DOC), annotation(SMALLER)
    assert differences([full, full]) == (0, 0)
    assert differences([full, smaller]) == (3, 2)
    relabelled = annotation(
        dataclasses.replace(
            DOC, entities=(dataclasses.replace(DOC.entities[0], label="LOC"), *DOC.entities[1:])
        )
    )
    assert differences([full, relabelled]) == (
        2,
        0,
    )  # the GPE and LOC regions; relations link spans
    assert differences([full, smaller, full]) == (3, 2)


# --- against a real server -------------------------------------------------------------


def account(ls, email: str) -> int:
    for user in ls.users.list():
        if user.email == email:
            return user.id
    return ls.users.create(
        username=email.split("@")[0], email=email, password="a-long-password-42"
    ).id


@pytest.fixture(scope="module")
def annotators(ls):
    return account(ls, FIRST), account(ls, SECOND)


@pytest.fixture()
def made(ls, repo, annotators):
    """A new project: ARTICLE's task annotated by two annotators who disagree (no ground truth,
    as the browser saves them), and OTHER's task not annotated."""
    title = f"review {next(_titles)}"
    project = ls.projects.create(
        title=title, label_config=client.label_config(load_scheme(repo.scheme))
    )
    ls.projects.import_tasks(
        id=project.id, request=[{"data": task_data(ARTICLE)}, {"data": task_data(OTHER)}]
    )
    task = client.task_of(ls, project.id, "tiny")
    first = ls.annotations.create(id=task, result=to_result(DOC), completed_by=annotators[0])
    second = ls.annotations.create(id=task, result=to_result(SMALLER), completed_by=annotators[1])
    assert (first.ground_truth, second.ground_truth) == (False, False)
    other = client.task_of(ls, project.id, "other")
    return SimpleNamespace(
        title=title, project=project.id, task=task, other=other, first=first.id, second=second.id
    )


@pytest.fixture()
def run(empty_project, studio_server, monkeypatch, capsys):
    """``frontline ARGS --url SERVER``: (exit status, stdout, stderr)."""
    monkeypatch.setenv(service.ENV_TOKEN, service.api_token(studio_server.state, env={}))
    monkeypatch.delenv(service.ENV_URL, raising=False)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(
            ["--root", str(empty_project.root), "--quiet", *args, "--url", studio_server.url]
        )
        out, err = capsys.readouterr()
        return code, out, err

    return run


def marks(ls, task_id: int) -> dict[int, bool]:
    return {a["id"]: a["ground_truth"] for a in ls.tasks.get(id=task_id).annotations}


def described(made) -> tuple[str, str]:
    return (
        f"annotation {made.first} by {FIRST} (5 regions, 3 relations)",
        f"annotation {made.second} by {SECOND} (2 regions, 1 relation)",
    )


@pytest.mark.studio
def test_review_lists_the_task_without_gold_and_its_disagreement(made, run):
    first, second = described(made)
    code, out, err = run("review", "--project", made.title)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"project {made.title!r} (id {made.project}): 2 tasks, 1 annotated (0 with gold, "
        "1 without, 0 with several), 1 not annotated; 1 task with disagreeing annotations",
        "without gold (1):",
        f"  doc tiny task {made.task}: {first}, {second}",
        "disagreeing annotations (1):",
        f"  doc tiny task {made.task}: annotation {made.first} by {FIRST}, annotation "
        f"{made.second} by {SECOND} differ in 3 regions and 2 relations (gold: none)",
        NEXT,
    ]
    code, out, _ = run("review", "--project", made.title, "--json")
    report = json.loads(out)
    assert (report["project"], report["tasks"], report["not_annotated"], report["with_gold"]) == (
        {"id": made.project, "title": made.title},
        2,
        1,
        0,
    )
    (missing,) = report["without_gold"]
    assert (
        report["disagreements"] == [missing]
        and report["several_gold"] == report["cancelled_gold"] == []
    )
    assert missing == {
        "doc_id": "tiny",
        "task_id": made.task,
        "gold": [],
        "cancelled": [],
        "regions_differ": 3,
        "relations_differ": 2,
        "annotations": [
            {
                "id": made.first,
                "annotator": FIRST,
                "ground_truth": False,
                "regions": 5,
                "relations": 3,
            },
            {
                "id": made.second,
                "annotator": SECOND,
                "ground_truth": False,
                "regions": 2,
                "relations": 1,
            },
        ],
    }


@pytest.mark.studio
def test_accept_without_or_with_a_wrong_annotation_lists_the_candidates(ls, made, run):
    first, second = described(made)
    candidates = f"choose one with --annotation ID:\n  - {first}\n  - {second}\n"
    assert run("accept", "tiny", "--project", made.title) == (
        1,
        "",
        f"frontline: error: doc tiny task {made.task} has 2 annotations: {candidates}",
    )
    assert run("accept", str(made.task), "--annotation", "999999", "--project", made.title) == (
        1,
        "",
        f"frontline: error: doc tiny task {made.task} has no annotation 999999: {candidates}",
    )
    assert marks(ls, made.task) == {made.first: False, made.second: False}
    assert run("accept", "nothing", "--project", made.title) == (
        1,
        "",
        f"frontline: error: project {made.title!r} (id {made.project}) has no task with id or "
        "doc id 'nothing': `frontline review` lists its tasks\n",
    )
    assert run("accept", "other", "--project", made.title) == (
        1,
        "",
        f"frontline: error: doc other task {made.other} has no annotation that is not "
        "cancelled: annotate it in Label Studio first\n",
    )
    assert run("accept", "tiny", "--project", "no such project") == (
        1,
        "",
        "frontline: error: no project titled 'no such project' on the server: run "
        "`frontline push` first\n",
    )


@pytest.mark.studio
def test_accept_marks_the_annotation_moves_the_mark_and_is_idempotent(ls, made, run):
    done = "; run `frontline pull`, then `frontline build` to release it\n"
    assert run(
        "accept", str(made.task), "--annotation", str(made.first), "--project", made.title
    ) == (
        0,
        f"doc tiny task {made.task}: annotation {made.first} by {FIRST} is now the ground "
        f"truth{done}",
        "",
    )
    assert marks(ls, made.task) == {made.first: True, made.second: False}

    code, out, _ = run("review", "--project", made.title)
    assert code == 0 and "without gold" not in out and NEXT not in out
    assert out.splitlines() == [
        f"project {made.title!r} (id {made.project}): 2 tasks, 1 annotated (1 with gold, "
        "0 without, 0 with several), 1 not annotated; 1 task with disagreeing annotations",
        "disagreeing annotations (1):",
        f"  doc tiny task {made.task}: annotation {made.first} by {FIRST}, annotation "
        f"{made.second} by {SECOND} differ in 3 regions and 2 relations (gold: annotation "
        f"{made.first})",
    ]

    assert run("accept", "tiny", "--annotation", str(made.first), "--project", made.title) == (
        0,
        f"doc tiny task {made.task}: annotation {made.first} by {FIRST} is already the ground "
        "truth (unchanged)\n",
        "",
    )
    assert run("accept", "tiny", "--annotation", str(made.second), "--project", made.title) == (
        0,
        f"doc tiny task {made.task}: annotation {made.second} by {SECOND} is now the ground "
        f"truth (taken from annotation {made.first}){done}",
        "",
    )
    assert marks(ls, made.task) == {made.first: False, made.second: True}

    (task,) = [t for t in client.pull(ls, made.title) if t["data"]["doc_id"] == "tiny"]
    assert gold_documents([task]) == ([SMALLER], [])  # what pull and build take as the gold


@pytest.mark.studio
def test_accept_refuses_a_cancelled_annotation(ls, made, annotators, run):
    skipped = ls.annotations.create(
        id=made.task, result=[], completed_by=annotators[1], was_cancelled=True
    )
    first, second = described(made)
    assert run("accept", "tiny", "--annotation", str(skipped.id), "--project", made.title) == (
        1,
        "",
        f"frontline: error: doc tiny task {made.task}: annotation {skipped.id} by {SECOND} was "
        "cancelled (skipped): a cancelled annotation cannot be the gold; choose one with "
        "--annotation ID:\n"
        f"  - {first}\n  - {second}\n",
    )
    assert marks(ls, made.task) == {made.first: False, made.second: False, skipped.id: False}


@pytest.mark.studio
def test_label_studio_itself_marks_a_cancelled_annotation_and_review_reports_it(
    ls, made, annotators, run
):
    """Why accept checks: the server marks a cancelled annotation (and unmarks the others)."""
    ls.annotations.update(id=made.first, ground_truth=True)
    skipped = ls.annotations.create(
        id=made.task, result=[], completed_by=annotators[1], was_cancelled=True
    )
    marked = ls.annotations.update(id=skipped.id, ground_truth=True)
    assert (marked.ground_truth, marked.was_cancelled) == (True, True)
    assert marks(ls, made.task) == {made.first: False, made.second: False, skipped.id: True}
    assert [a.id for a in ls.annotations.list(id=made.task)] == [
        made.first,
        made.second,
    ]  # no cancelled ones here

    code, out, _ = run("review", "--project", made.title)
    assert [
        "cancelled annotations marked ground truth (1): `frontline pull` refuses these",
        f"  doc tiny task {made.task}: annotation {skipped.id} by {SECOND}",
    ] == out.splitlines()[3:5]
    assert run("accept", "tiny", "--annotation", str(made.first), "--project", made.title)[1] == (
        f"doc tiny task {made.task}: annotation {made.first} by {FIRST} is now the ground truth "
        f"(taken from annotation {skipped.id}); run `frontline pull`, then `frontline build` to "
        "release it\n"
    )
    assert marks(ls, made.task) == {made.first: True, made.second: False, skipped.id: False}


@pytest.mark.studio
def test_a_single_annotation_is_accepted_without_its_id(ls, made, annotators, run):
    only = ls.annotations.create(id=made.other, result=OTHER_RESULT, completed_by=annotators[0])
    assert run("accept", "other", "--project", made.title) == (
        0,
        f"doc other task {made.other}: annotation {only.id} by {FIRST} is now the ground truth; "
        "run `frontline pull`, then `frontline build` to release it\n",
        "",
    )
    assert marks(ls, made.other) == {only.id: True}


@pytest.mark.studio
def test_review_lists_imported_annotations_that_are_all_ground_truth(ls, repo, studio_server, run):
    """Label Studio marks an imported annotation ground truth unless it says otherwise."""
    title = f"review {next(_titles)}"
    project = ls.projects.create(
        title=title, label_config=client.label_config(load_scheme(repo.scheme))
    )
    ls.projects.import_tasks(
        id=project.id,
        request=[
            {
                "data": task_data(ARTICLE),
                "annotations": [{"result": to_result(DOC)}, {"result": to_result(DOC)}],
            }
        ],
    )
    task = client.task_of(ls, project.id, "tiny")
    ids = sorted(marks(ls, task))
    assert marks(ls, task) == dict.fromkeys(ids, True)
    code, out, _ = run("review", "--project", title)
    lines = out.splitlines()
    assert lines[0].endswith(
        "1 annotated (0 with gold, 0 without, 1 with several), 0 not annotated; 0 tasks with "
        "disagreeing annotations"
    )
    admin = service.credentials(studio_server.state, env={}).username  # who imported them
    assert lines[1:3] == [
        "several ground truths (1): the build refuses these",
        f"  doc tiny task {task}: annotation {ids[0]} by {admin}, annotation {ids[1]} by {admin}",
    ]
    assert lines[3] == NEXT
    assert run("accept", str(task), "--annotation", str(ids[1]), "--project", title)[0] == 0
    assert marks(ls, task) == {ids[0]: False, ids[1]: True}


@pytest.mark.studio
def test_the_labeling_interface_of_label_studio_community_has_no_ground_truth_control(
    ls, made, studio_server
):
    """What review and accept make up for: in Community 1.23 the browser shows the mark (a star on
    the annotation's tab) but offers no way to set it (the data manager leaves its ``groundTruth``
    interface off: no bottom-bar button, no "Set as Ground Truth" in the annotation's menu)."""
    import os

    webdriver = pytest.importorskip("selenium.webdriver")
    if not (os.path.exists("/usr/bin/chromium") and os.path.exists("/usr/bin/chromedriver")):
        pytest.skip("needs Debian's chromium and chromedriver")
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    ls.annotations.update(id=made.first, ground_truth=True)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-sync",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-dev-shm-usage",
        "--window-size=1600,1200",
    ):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    browser.set_page_load_timeout(120)
    try:
        creds = service.credentials(studio_server.state, env={})
        wait = browser_login(browser, studio_server.url, creds.username, creds.password)
        browser.get(f"{studio_server.url}/projects/{made.project}/data?task={made.task}")
        tabs = wait.until(
            lambda d: (
                len(d.find_elements(By.CSS_SELECTOR, ".lsf-annotation-button")) == 2
                and d.find_elements(By.CSS_SELECTOR, ".lsf-annotation-button")
            )
        )
        assert browser.execute_script("return window.APP_SETTINGS.version.edition") == "Community"
        interfaces = json.loads(
            browser.execute_script(
                "return JSON.stringify((window.DM || window.dataManager).interfaces)"
            )
        )
        assert interfaces["groundTruth"] is False and interfaces["tabs"] is True
        starred = [
            t
            for t in tabs
            if t.find_elements(By.CSS_SELECTOR, "[class*=groundTruth], [class*=ground-truth]")
        ]
        assert [FIRST[:8] in t.text for t in starred] == [
            True
        ]  # the mark is shown, on the first's annotation
        (other,) = [t for t in tabs if t not in starred]
        other.click()
        wait.until(
            EC.presence_of_element_located(
                (By.CSS_SELECTOR, "[data-testid=bottombar-update-button]")
            )
        )
        assert (
            browser.find_elements(By.CSS_SELECTOR, "[data-testid=bottombar-ground-truth-button]")
            == []
        )
        other.find_element(By.CSS_SELECTOR, ".lsf-annotation-button__trigger").click()
        wait.until(lambda d: "Copy Annotation ID" in d.find_element(By.TAG_NAME, "body").text)
        menu = browser.find_element(By.TAG_NAME, "body").text
        assert "Delete Annotation" in menu and "Ground Truth" not in menu
    finally:
        browser.quit()
