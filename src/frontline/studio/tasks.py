"""Articles as Label Studio tasks.

``data.text`` is the article text byte-exact; the other ``data`` fields carry the
metadata annotators see and that ``pull`` and ``validate`` use to match a task back to
its article (``doc_id``) and to detect a changed text (``sha256``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from frontline.core.articles import Article


def task_data(article: Article) -> dict[str, str]:
    """The ``data`` of one task."""
    return {
        "text": article.text,
        "doc_id": article.id,
        "title": article.title,
        "date": article.date,
        "url": article.url,
        "license": article.license,
        "sha256": article.sha256,
    }


def tasks_json(articles: Iterable[Article]) -> str:
    """Every article as a task, sorted by ``doc_id``, in stable JSON (re-runs give no diff)."""
    tasks: list[dict[str, Any]] = [
        {"data": task_data(a)} for a in sorted(articles, key=lambda a: a.id)
    ]
    return json.dumps(tasks, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
