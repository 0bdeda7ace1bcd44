"""Label Studio JSON exports on disk: deterministic files, a loss guard, and the gold.

An export file is Label Studio's full JSON export (a list of tasks with every
annotator's annotations and every prediction), normalised so it diffs cleanly: tasks
sorted by ``data.doc_id``, annotations and predictions by id, keys sorted, and the one
field that changes with the clock (``created_ago``) removed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from frontline.articles import Article
from frontline.files import atomic_write
from frontline.documents import Document, from_result
from frontline.scheme import Scheme
from frontline.validate import ExportInvalid, export_problems

VOLATILE = frozenset({"created_ago"})


class ExportError(ValueError):
    """An export cannot be read or would lose annotations."""


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _by_id(items: Sequence[Mapping[str, Any]]) -> list[Any]:
    return sorted(items, key=lambda item: (str(type(item.get("id"))), item.get("id") or 0))


def normalise(tasks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Tasks sorted by doc id, their annotations and predictions by id, volatile fields dropped."""
    out = []
    for task in _strip(list(tasks)):
        for key in ("annotations", "predictions", "drafts"):
            if isinstance(task.get(key), list):
                task[key] = _by_id(task[key])
        out.append(task)
    return sorted(out, key=lambda t: (str(t.get("data", {}).get("doc_id", "")), t.get("id") or 0))


def dumps(tasks: Sequence[Mapping[str, Any]]) -> str:
    """The stable text of an export file."""
    return json.dumps(normalise(tasks), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def read_export(path: Path) -> list[dict[str, Any]]:
    """Read an export file (a JSON list of tasks)."""
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportError(f"{path}: no such export") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExportError(f"{path}: not a JSON export: {exc}") from None
    if not isinstance(tasks, list):
        raise ExportError(f"{path}: an export is a JSON list of tasks, not {type(tasks).__name__}")
    return tasks


def read_valid_export(path: Path, articles: Sequence[Article], scheme: Scheme) -> list[dict[str, Any]]:
    """Read an export and raise :class:`ExportInvalid` with every problem if it has any."""
    tasks = read_export(path)
    problems = export_problems(tasks, {a.id: a for a in articles}, scheme)
    if problems:
        raise ExportInvalid(str(path), problems)
    return tasks


def annotation_counts(tasks: Sequence[Mapping[str, Any]]) -> Counter[str]:
    """Number of annotations per doc id."""
    return Counter({str(t["data"]["doc_id"]): len(t.get("annotations", [])) for t in tasks})


def losses(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> list[str]:
    """What replacing export ``old`` by ``new`` would lose: articles or annotations."""
    before, after = annotation_counts(old), annotation_counts(new)
    found = []
    for doc_id, count in sorted(before.items()):
        if doc_id not in after:
            found.append(f"doc {doc_id}: {count} annotation(s) committed, task missing from the new export")
        elif after[doc_id] < count:
            found.append(f"doc {doc_id}: {count} annotation(s) committed, {after[doc_id]} in the new export")
    return found


def write_export(path: Path, tasks: Sequence[Mapping[str, Any]], *, force: bool = False) -> bool:
    """Write ``tasks`` to ``path`` atomically; return False when the file was already identical.

    Refuses (:class:`ExportError`) to replace an export that holds annotations the new one
    lacks, unless ``force``.
    """
    text = dumps(tasks)
    if path.exists():
        old = read_export(path)
        lost = losses(old, tasks)
        if lost and not force:
            raise ExportError(f"{path}: the new export would lose annotations (use --force to "
                              "replace it anyway):\n" + "\n".join(f"  - {x}" for x in lost))
        if path.read_text(encoding="utf-8") == text:
            return False
    atomic_write(path, text.encode("utf-8"))
    return True


def gold_documents(tasks: Sequence[Mapping[str, Any]]) -> tuple[list[Document], list[str]]:
    """The ``ground_truth`` annotation of each task as a Document, and the doc ids without gold.

    Tasks must be validated first. A task with more than one non-cancelled ground-truth
    annotation is an error: adjudication must leave exactly one.
    """
    documents, missing, problems = [], [], []
    for task in tasks:
        doc_id, text = str(task["data"]["doc_id"]), task["data"]["text"]
        gold = [a for a in task.get("annotations", []) if a.get("ground_truth") and not a.get("was_cancelled")]
        if not gold:
            missing.append(doc_id)
        elif len(gold) > 1:
            problems.append(f"doc {doc_id} task {task.get('id')}: {len(gold)} ground_truth annotations "
                            f"({', '.join(str(a.get('id')) for a in gold)}); adjudicate to exactly one")
        else:
            documents.append(from_result(doc_id, text, gold[0]["result"]))
    if problems:
        raise ExportError("\n".join(problems))
    return sorted(documents, key=lambda d: d.doc_id), sorted(missing)
