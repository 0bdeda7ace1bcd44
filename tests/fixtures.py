"""Tiny hand-made fixtures whose offsets match their text (checked in test_fixtures)."""

from __future__ import annotations

from frontline.core.articles import make_article
from frontline.core.documents import Document, Entity, Relation

TEXT = "Iran backs Iraqi militias in Syria. Rebels took Aleppo."
#       0    5     11             26 29   35     42   47    53

ARTICLE = make_article(
    TEXT,
    id="tiny",
    title="Tiny",
    date="2024-12-01",
    url="https://example.org/t",
    license="CC BY 4.0",
    attribution="",
    source="",
    topic="",
)

ENTITIES = (
    Entity(0, 4, "GPE", "Iran", "e1"),
    Entity(11, 25, "GROUP", "Iraqi militias", "e2"),
    Entity(29, 34, "GPE", "Syria", "e3"),
    Entity(36, 42, "GROUP", "Rebels", "e4"),
    Entity(48, 54, "GPE", "Aleppo", "e5"),
)
RELATIONS = (
    Relation(0, 1, "SUPPORTS"),
    Relation(1, 2, "LOCATED_IN"),
    Relation(3, 4, "CONTROLS"),
)
DOC = Document("tiny", TEXT, ENTITIES, RELATIONS)

SHEET = """doc: tiny
S0: [[Iran]]GPE backs [[Iraqi militias]]GROUP in [[Syria]]GPE.
R0: SUPPORTS Iran -> Iraqi militias
S1: [[Rebels]]GROUP took [[Aleppo]]GPE.
R1: CONTROLS Rebels -> Aleppo
"""
"""An annotation sheet of ARTICLE (five mentions, two relations; see frontline.studio.sheets)."""


def task(
    result: list,
    *,
    annotation_id: int = 1,
    ground_truth: bool = True,
    text: str = TEXT,
    doc_id: str = "tiny",
) -> dict:
    """An exported task holding one annotation with ``result``."""
    return {
        "id": 7,
        "data": {"text": text, "doc_id": doc_id},
        "annotations": [
            {
                "id": annotation_id,
                "result": result,
                "ground_truth": ground_truth,
                "was_cancelled": False,
            }
        ],
        "predictions": [],
    }


def tiny_project(tmp_path, repo, **other_fields):
    """A tiny project: the real scheme, guidelines and pins, one article with gold (``ARTICLE``)
    and one without (``zz-unannotated``, with ``other_fields`` over ``ARTICLE``'s metadata)."""
    import hashlib
    import shutil

    from frontline.core.articles import add_articles
    from frontline.core.documents import to_result
    from frontline.core.paths import Project
    from frontline.gold.exports import dumps

    for name in (
        "annotation/scheme.toml",
        "annotation/guidelines.md",
        "requirements/constraints.txt",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(repo.root / name, tmp_path / name)
    other = ARTICLE.__class__(
        **{
            **ARTICLE.__dict__,
            "id": "zz-unannotated",
            "text": "Nothing here.",
            "sha256": hashlib.sha256(b"Nothing here.").hexdigest(),
            **other_fields,
        }
    )
    add_articles(tmp_path / "seeds", [ARTICLE, other])
    project = Project(tmp_path)
    project.exports.mkdir(parents=True)
    project.gold_export.write_text(dumps([task(to_result(DOC))]), encoding="utf-8")
    return project


def load(folder, config, cache):
    """One config of a built dataset, through ``datasets.load_dataset`` with its own cache."""
    from datasets import load_dataset

    return load_dataset(str(folder), config, cache_dir=str(cache))


def browser_login(browser, url: str, email: str, password: str, timeout: float = 120):
    """Log ``browser`` (selenium) in to the Label Studio at ``url``; returns a WebDriverWait of
    ``timeout``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, timeout)
    browser.get(f"{url}/user/login/")
    wait.until(EC.presence_of_element_located((By.NAME, "email"))).send_keys(email)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit]").click()
    wait.until(lambda d: "/user/login" not in d.current_url)
    return wait
