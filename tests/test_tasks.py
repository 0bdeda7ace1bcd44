import json

from fixtures import ARTICLE, TEXT

from frontline.core.articles import load_articles
from frontline.studio.tasks import task_data, tasks_json


def test_task_data_carries_text_byte_exact_and_metadata():
    data = task_data(ARTICLE)
    assert data["text"] == TEXT
    assert data == {
        "text": TEXT,
        "doc_id": "tiny",
        "title": "Tiny",
        "date": "2024-12-01",
        "url": "https://example.org/t",
        "license": "CC BY 4.0",
        "sha256": ARTICLE.sha256,
    }


def test_tasks_json_is_sorted_and_stable(repo):
    articles = load_articles(repo.seeds)
    text = tasks_json(reversed(articles))
    assert text == tasks_json(articles)
    tasks = json.loads(text)
    assert [t["data"]["doc_id"] for t in tasks] == sorted(a.id for a in articles)
    assert tasks[0]["data"]["text"] == (
        repo.seeds / "texts" / "000_2deeeecf94034bb2.txt"
    ).read_text("utf-8")
