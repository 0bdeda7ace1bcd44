"""A scaled copy of the project for benchmarks: the real articles and gold, replicated.

``replicate(project, folder, n)`` writes a new checkout in ``folder`` with ``n`` articles:
the real articles cycled in id order, each replica under a new id ``<id>.r<k>`` (``k``
counting the passes over the real articles), with its task and every annotation of the
committed gold export copied under new task and annotation ids. A replica's text is the
real text plus a last line ``Replica <k>.`` (the project refuses two articles with the same
text); offsets and labels are the real ones, so every step does the work it would do on a
collection of that size.
The export is written one task at a time and never held whole in memory.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from frontline.core.articles import Article, add_articles, load_articles, sha256_text
from frontline.core.paths import Project
from frontline.gold.exports import read_export

#: Files a checkout needs besides articles and gold for ``build`` to run.
SUPPORT_FILES = (
    "annotation/scheme.toml",
    "annotation/guidelines.md",
    "requirements/constraints.txt",
)


def replica_id(article_id: str, k: int) -> str:
    """The id of replica ``k`` of an article (replica 0 keeps the real id)."""
    return article_id if k == 0 else f"{article_id}.r{k:05d}"


def replica_text(text: str, k: int) -> str:
    """The text of replica ``k``: the real text, plus a line of its own after it."""
    return text if k == 0 else f"{text}\n\nReplica {k}."


def replica_article(article: Article, k: int) -> Article:
    text = replica_text(article.text, k)
    return replace(article, id=replica_id(article.id, k), text=text, sha256=sha256_text(text))


def replicas(articles: Sequence[Article], n: int) -> list[tuple[Article, int]]:
    """``n`` (article, replica number) pairs: the articles in id order, cycled; listed in
    the order of the replica ids, as ``frontline pull`` sorts an export."""
    ordered = sorted(articles, key=lambda a: a.id)
    pairs = [(ordered[i % len(ordered)], i // len(ordered)) for i in range(n)]
    return sorted(pairs, key=lambda pair: replica_id(pair[0].id, pair[1]))


def replica_task(
    task: Mapping[str, Any], k: int, task_id: int, first_annotation_id: int
) -> dict[str, Any]:
    """A copy of ``task`` for replica ``k``, with new task and annotation ids."""
    new = copy.deepcopy(dict(task))
    new["id"] = task_id
    new["data"]["doc_id"] = replica_id(str(task["data"]["doc_id"]), k)
    new["data"]["text"] = replica_text(task["data"]["text"], k)
    new["data"]["sha256"] = sha256_text(new["data"]["text"])
    for offset, ann in enumerate(new.get("annotations", [])):
        ann["id"], ann["task"] = first_annotation_id + offset, task_id
    for pred in new.get("predictions", []):
        pred["task"] = task_id
    return new


def replica_tasks(
    tasks: Sequence[Mapping[str, Any]], pairs: Sequence[tuple[Article, int]]
) -> Iterator[dict[str, Any]]:
    """The export's tasks for every (article, replica) pair, in order."""
    by_doc = {str(t["data"]["doc_id"]): t for t in tasks}
    annotation_id = 1
    for task_id, (article, k) in enumerate(pairs, start=1):
        if article.id in by_doc:
            task = replica_task(by_doc[article.id], k, task_id, annotation_id)
            annotation_id += len(task.get("annotations", []))
            yield task


def write_tasks(path: Path, tasks: Iterator[Mapping[str, Any]]) -> None:
    """A JSON list written one task at a time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        for i, task in enumerate(tasks):
            out.write(
                ("," if i else "") + "\n" + json.dumps(task, ensure_ascii=False, sort_keys=True)
            )
        out.write("\n]\n")


def replicate(source: Project, folder: Path, n: int) -> Project:
    """A checkout in ``folder`` with ``n`` articles and their gold (see the module doc)."""
    target = Project(folder)
    for name in SUPPORT_FILES:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source.root / name, folder / name)
    pairs = replicas(load_articles(source.seeds), n)
    add_articles(target.seeds, [replica_article(a, k) for a, k in pairs])
    write_tasks(target.gold_export, replica_tasks(read_export(source.gold_export), pairs))
    return target
