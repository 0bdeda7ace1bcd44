"""The labeling interface in a real headless Chromium (Debian's chromium + chromedriver)."""

from pathlib import Path

import pytest
from fixtures import ARTICLE, DOC, browser_login

from frontline.core.documents import to_result
from frontline.core.scheme import load_scheme
from frontline.studio import client, service

pytestmark = pytest.mark.studio
REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / ".frontline" / "screenshots"


@pytest.fixture()
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1600,1200",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


def test_labeling_interface_shows_text_and_every_label(browser, ls, studio_server, repo):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    scheme = load_scheme(repo.scheme)
    report = client.push(
        ls,
        [ARTICLE],
        scheme,
        title="browser",
        progress=False,
        predict=lambda a: ("fixture", to_result(DOC)),
    )
    (task_id,) = [t.id for t in ls.tasks.list(project=report.project_id)]
    creds = service.credentials(studio_server.state, env={})

    wait = browser_login(browser, studio_server.url, creds.username, creds.password)
    browser.get(f"{studio_server.url}/projects/{report.project_id}/data?task={task_id}")
    wait.until(lambda d: ARTICLE.text[:20] in d.find_element(By.TAG_NAME, "body").text)
    body = browser.find_element(By.TAG_NAME, "body").text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "labeling-interface.png"))
    assert ARTICLE.text.split(".")[0] in body
    missing = [name for name in scheme.entity_names if name not in body]
    assert missing == [], f"entity labels not shown: {missing}"

    # relation labels: open the Relations panel, show a relation's labels, open its selector
    (tab,) = [
        t
        for t in browser.find_elements(By.CSS_SELECTOR, ".lsf-panel-tabs__tab")
        if t.text.strip() == "Relations"
    ]
    tab.click()
    item = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".lsf-relations__item")))
    ActionChains(browser).move_to_element(item).perform()
    item.find_element(By.CSS_SELECTOR, "button[aria-label='Show Relation Labels']").click()
    meta = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".lsf-relation-meta")))
    meta.find_element(By.CSS_SELECTOR, "[class*=selectTrigger]").click()
    # the list renders its options' text after the options themselves: wait until every one has it
    texts = wait.until(
        lambda d: (
            [o.text for o in d.find_elements(By.CSS_SELECTOR, "[role=option]")]
            if all(o.text for o in d.find_elements(By.CSS_SELECTOR, "[role=option]"))
            else None
        )
    )
    assert texts == scheme.relation_names
    browser.save_screenshot(str(SCREENSHOTS / "relation-labels.png"))


def _drag_over(browser, start: int, end: int) -> dict:
    """Select characters ``start:end`` of the task's text with the mouse, as a person does; their
    box."""
    from selenium.webdriver.common.actions.action_builder import ActionBuilder

    box = browser.execute_script(
        """
        const [start, end] = arguments;
        const root = [...document.querySelectorAll('.lsf-richtext__line')].pop().parentElement;
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        let node, offset = 0, from = null, to = null;
        while ((node = walker.nextNode())) {
            const length = node.data.length;
            if (from === null && start < offset + length) from = [node, start - offset];
            if (to === null && end <= offset + length) { to = [node, end - offset]; break; }
            offset += length;
        }
        const range = document.createRange();
        range.setStart(...from);
        range.setEnd(...to);
        const box = range.getClientRects()[0];
        return {left: box.left, right: box.right, middle: (box.top + box.bottom) / 2};""",
        start,
        end,
    )
    actions = ActionBuilder(browser)
    y = int(box["middle"])
    actions.pointer_action.move_to_location(int(box["left"]) + 1, y).pointer_down()
    actions.pointer_action.move_to_location(int(box["right"]) - 1, y).pointer_up()
    actions.perform()
    return box


def test_an_annotator_labels_in_the_browser_and_the_owner_releases_it(
    browser, ls, studio_server, empty_project, monkeypatch, capsys
):
    """Issue 17: add-annotator, log in as that annotator (not the admin), draw two spans with the
    label hotkeys and a relation, submit; the annotation is the annotator's; accept, pull, build."""
    import shutil
    import time

    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    from frontline.cli import main
    from frontline.core.articles import add_articles
    from frontline.gold.exports import gold_documents, read_export

    for name in (
        "annotation/guidelines.md",
        "requirements/constraints.txt",
    ):  # what build reads besides the gold
        (empty_project.root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, empty_project.root / name)
    add_articles(empty_project.seeds, [ARTICLE])  # a throwaway checkout holding the fixture article
    monkeypatch.setenv(service.ENV_TOKEN, service.api_token(studio_server.state, env={}))
    monkeypatch.delenv(service.ENV_URL, raising=False)
    root, url = ["--root", str(empty_project.root), "--quiet"], ["--url", studio_server.url]
    title = ["--project", "team browser"]

    def run(*args: str) -> str:
        code = main([*root, *args])
        out, err = capsys.readouterr()
        assert (code, err) == (0, ""), (args, err)
        return out

    run("push", *title, *url)
    project = client.find_project(ls, "team browser")
    task_id = client.task_of(ls, project.id, "tiny")
    email = "team-annotator@example.org"
    out = run("studio", "add-annotator", email, *url)
    password_file = empty_project.state / "annotators" / f"{email}.password"
    assert f"password written to {password_file} (mode 0600)" in out
    password = password_file.read_text(encoding="utf-8").strip()
    (annotator,) = [u.id for u in ls.users.list() if u.email == email]

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    wait = browser_login(browser, studio_server.url, email, password)
    whoami = browser.execute_script("return fetch('/api/current-user/whoami').then(r => r.json())")
    assert whoami["email"] == email and whoami["id"] == annotator

    browser.get(f"{studio_server.url}/projects/{project.id}/data?task={task_id}")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".lsf-richtext__line")))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".lsf-labels .lsf-label"))
    scheme = load_scheme(empty_project.scheme)

    def selected(name: str) -> bool:  # read in one script: the interface re-renders its elements
        return browser.execute_script(
            """return [...document.querySelectorAll('.lsf-labels .lsf-label')].some(
            e => e.innerText.trim().split(/\\s+/)[0] === arguments[0]
                && e.classList.contains('lsf-label_selected'))""",
            name,
        )

    def drawn() -> list[dict]:  # what Submit would save now
        return browser.execute_script(
            "return JSON.parse(JSON.stringify(Htx.annotationStore.selected.serializeAnnotation()))"
        )

    def click_at(box: dict) -> None:
        click = ActionBuilder(browser)
        click.pointer_action.move_to_location(int(box["left"]) + 4, int(box["middle"])).click()
        click.perform()

    boxes = []
    for start, end, name in ((0, 4, "GPE"), (11, 25, "GROUP")):
        key = str(scheme.entity_names.index(name) + 1)  # the label's hotkey: its number
        if not selected(name):  # the hotkey toggles: press it only to select the label
            ActionChains(browser).send_keys(key).perform()
            wait.until(lambda d, name=name: selected(name))
        for attempt in range(3):  # a drag the busy interface missed is dragged again
            box = _drag_over(browser, start, end)
            try:
                WebDriverWait(browser, 30).until(
                    lambda d, span=(start, end, [name]): (
                        span
                        in [
                            (r["value"]["start"], r["value"]["end"], r["value"].get("labels"))
                            for r in drawn()
                            if "value" in r
                        ]
                    )
                )
                break
            except TimeoutException:
                if attempt == 2:
                    raise
                if not selected(name):
                    ActionChains(browser).send_keys(key).perform()
                    wait.until(lambda d, name=name: selected(name))
        boxes.append(box)
        ActionChains(browser).send_keys(Keys.ESCAPE).perform()  # unselect the new region
        time.sleep(0.3)
    browser.save_screenshot(str(SCREENSHOTS / "annotator-spans.png"))

    # a relation: click the head region, Alt+R, click the tail region, then choose its label
    click_at(boxes[0])
    time.sleep(0.3)
    ActionChains(browser).key_down(Keys.ALT).send_keys("r").key_up(Keys.ALT).perform()
    time.sleep(0.3)
    click_at(boxes[1])
    wait.until(lambda d: [r for r in drawn() if r["type"] == "relation"])
    stale = (StaleElementReferenceException, ValueError)
    patient = WebDriverWait(browser, 60, ignored_exceptions=stale)

    def open_relations(d) -> bool:
        (tab,) = [
            t
            for t in d.find_elements(By.CSS_SELECTOR, ".lsf-panel-tabs__tab")
            if t.text.strip() == "Relations"
        ]
        tab.click()
        return True

    patient.until(open_relations)
    item = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".lsf-relations__item")))
    ActionChains(browser).move_to_element(item).perform()
    item.find_element(By.CSS_SELECTOR, "button[aria-label='Show Relation Labels']").click()
    meta = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".lsf-relation-meta")))
    meta.find_element(By.CSS_SELECTOR, "[class*=selectTrigger]").click()

    def choose(d) -> bool:
        (option,) = [
            o for o in d.find_elements(By.CSS_SELECTOR, "[role=option]") if o.text == "SUPPORTS"
        ]
        option.click()
        return True

    patient.until(choose)
    wait.until(
        lambda d: [r.get("labels") for r in drawn() if r["type"] == "relation"] == [["SUPPORTS"]]
    )
    ActionChains(browser).send_keys(Keys.ESCAPE).perform()
    browser.save_screenshot(str(SCREENSHOTS / "annotator-relation.png"))

    browser.find_element(By.CSS_SELECTOR, "[data-testid=bottombar-submit-button]").click()
    wait.until(lambda d: ls.annotations.list(id=task_id))
    browser.save_screenshot(str(SCREENSHOTS / "annotator-submitted.png"))
    (annotation,) = ls.annotations.list(id=task_id)
    assert annotation.completed_by == annotator and not annotation.ground_truth
    spans = sorted(
        (r["value"]["start"], r["value"]["end"], r["value"]["labels"][0])
        for r in annotation.result
        if r["type"] == "labels"
    )
    assert spans == [(0, 4, "GPE"), (11, 25, "GROUP")]
    (relation,) = [r for r in annotation.result if r["type"] == "relation"]
    assert relation["labels"] == ["SUPPORTS"]

    # the owner: accept, pull into the throwaway checkout, build
    assert run("accept", "tiny", *title, *url) == (
        f"doc tiny task {task_id}: annotation {annotation.id} by {email} is now the ground truth; "
        "run `frontline pull`, then `frontline build` to release it\n"
    )
    run("pull", *title, *url)
    tasks = read_export(empty_project.gold_export)
    assert tasks[0]["annotations"][0]["completed_by"]["email"] == email
    (doc,), missing = gold_documents(tasks)
    assert ([(e.start, e.end, e.label) for e in doc.entities], missing) == (
        [(0, 4, "GPE"), (11, 25, "GROUP")],
        [],
    )
    assert [(r.head, r.tail, r.label) for r in doc.relations] == [(0, 1, "SUPPORTS")]
    out = run("build")
    assert out.startswith(f"built {empty_project.corpus}: 1 article(s) released, 0 without gold; ")


def test_spacy_pre_annotations_are_shown_to_the_annotator(
    browser, ls, studio_server, repo, empty_project, monkeypatch, capsys
):
    """Issue 17: ``push --predictions spacy-ner`` (trained on the released corpus' train split)
    imports predictions with their model version and region scores, and the labeling
    interface opens a task with them drawn, ready to correct (screenshot saved)."""
    import shutil

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC

    from frontline.cli import main
    from frontline.core.articles import add_articles
    from frontline.release.dataset import DATASET_VERSION

    for name in ("corpus", "baselines"):  # what push trains on: the released corpus and the tuned C
        shutil.copytree(REPO / name, empty_project.root / name)
    add_articles(empty_project.seeds, [ARTICLE])
    monkeypatch.setenv(service.ENV_TOKEN, service.api_token(studio_server.state, env={}))
    monkeypatch.delenv(service.ENV_URL, raising=False)
    code = main(
        [
            "--root",
            str(empty_project.root),
            "--quiet",
            "push",
            "--project",
            "pre-annotated",
            "--url",
            studio_server.url,
            "--predictions",
            "spacy-ner",
        ]
    )
    capsys.readouterr()
    assert code == 0
    project = client.find_project(ls, "pre-annotated")
    task_id = client.task_of(ls, project.id, "tiny")
    (prediction,) = ls.predictions.list(task=task_id)
    assert prediction.model_version == f"spacy-ner@{DATASET_VERSION}"
    regions = [r for r in prediction.result if r["type"] == "labels"]
    assert regions and all(0.0 <= r["score"] <= 1.0 for r in regions)
    assert all(
        ARTICLE.text[r["value"]["start"] : r["value"]["end"]] == r["value"]["text"] for r in regions
    )

    creds = service.credentials(studio_server.state, env={})
    wait = browser_login(browser, studio_server.url, creds.username, creds.password)
    browser.get(f"{studio_server.url}/projects/{project.id}/data?task={task_id}")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".lsf-richtext__line")))
    shown = wait.until(
        lambda d: (
            d.execute_script(
                "const s = window.Htx && Htx.annotationStore && Htx.annotationStore.selected;"
                "return s ? JSON.parse(JSON.stringify(s.serializeAnnotation())) : null;"
            )
            or None
        )
    )
    drawn = sorted(
        (r["value"]["start"], r["value"]["end"], r["value"]["labels"][0])
        for r in shown
        if r["type"] == "labels"
    )
    assert drawn == sorted(
        (r["value"]["start"], r["value"]["end"], r["value"]["labels"][0]) for r in regions
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "spacy-pre-annotations.png"))
