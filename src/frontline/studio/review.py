"""From reviewed annotations to gold: ``frontline review`` and ``frontline accept``.

The build releases, per task, the one annotation marked ``ground_truth`` (and not
cancelled). Label Studio Community 1.23 stores that mark and its API sets it
(``PATCH /api/annotations/{id}/`` with ``ground_truth``; on ``true`` the server itself
unmarks the task's other annotations), but its browser interface has no control to set it:
the "Set as Ground Truth" button of the labeling interface is behind an interface
(``groundTruth``) that Community's data manager does not turn on. Hence these two commands:

* :func:`review` reads every task of the project (``GET /api/tasks`` with all fields, read
  only) and lists the tasks whose annotations lack a ground truth, those with more than one,
  those where a cancelled annotation holds the mark, and those where two or more
  non-cancelled annotations disagree: different sets of ``(start, end, label)`` regions or
  ``(head span, tail span, label)`` relations.
* :func:`accept` marks one annotation of a task as its ground truth and takes the mark from
  every other annotation of the task. It refuses a cancelled annotation (the server would
  accept it, and the build would then release nothing for the task). Idempotent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from frontline.errors import FrontlineError
from frontline.gold.exports import ACCEPT, NEXT
from frontline.studio import client

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio


class ReviewError(FrontlineError):
    """A task or annotation cannot be accepted as it was asked."""


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# --- what an annotation says ----------------------------------------------------------

Span = tuple[Any, Any]
RegionKey = tuple[Any, Any, tuple[str, ...]]  # (start, end, labels)
RelationKey = tuple[Span | None, Span | None, tuple[str, ...]]  # (head span, tail span, labels)


def _labels(item: Mapping[str, Any]) -> tuple[str, ...]:
    labels = item.get("labels")
    if labels is None and isinstance(item.get("value"), Mapping):
        labels = item["value"].get("labels")
    return tuple(sorted(str(x) for x in labels)) if isinstance(labels, list) else ()


def result_items(result: Any) -> tuple[frozenset[RegionKey], frozenset[RelationKey]]:
    """The regions ``(start, end, labels)`` and relations ``(head span, tail span, labels)`` of
    a Label Studio result, for comparing annotations. A relation drawn right to left
    (``direction: left``) is turned around, as the build reads it; a relation to a region the
    result does not have gets ``None`` for that end. Malformed items are compared as they are
    (``frontline validate`` reports them), never an error here."""
    items = (
        [item for item in result if isinstance(item, Mapping)] if isinstance(result, list) else []
    )
    spans: dict[Any, Span] = {}
    regions = set()
    for item in items:
        if item.get("type") == "labels":
            value = item.get("value") if isinstance(item.get("value"), Mapping) else {}
            span = (value.get("start"), value.get("end"))
            regions.add((*span, _labels(item)))
            if isinstance(item.get("id"), str):
                spans[item["id"]] = span
    relations = set()
    for item in items:
        if item.get("type") == "relation":
            head, tail = spans.get(item.get("from_id")), spans.get(item.get("to_id"))
            if item.get("direction") == "left":
                head, tail = tail, head
            relations.add((head, tail, _labels(item)))
    return frozenset(regions), frozenset(relations)


@dataclass(frozen=True)
class Annotation:
    id: int
    annotator: str
    cancelled: bool
    ground_truth: bool
    regions: frozenset[RegionKey] = frozenset()
    relations: frozenset[RelationKey] = frozenset()

    def named(self) -> str:
        return f"annotation {self.id} by {self.annotator}"

    def described(self) -> str:
        return (
            f"{self.named()} ({plural(len(self.regions), 'region')}, "
            f"{plural(len(self.relations), 'relation')})"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "annotator": self.annotator,
            "ground_truth": self.ground_truth,
            "regions": len(self.regions),
            "relations": len(self.relations),
        }


def annotator_name(who: Any, users: Mapping[int, str]) -> str:
    """The account of an annotation's ``completed_by``: its e-mail, else ``user N``."""
    if isinstance(who, Mapping):
        return str(who.get("email") or users.get(who.get("id")) or f"user {who.get('id')}")
    return users.get(who) or f"user {who}"


def annotation_of(raw: Mapping[str, Any], users: Mapping[int, str]) -> Annotation:
    regions, relations = result_items(raw.get("result"))
    return Annotation(
        int(raw["id"]),
        annotator_name(raw.get("completed_by"), users),
        raw.get("was_cancelled") is True,
        raw.get("ground_truth") is True,
        regions,
        relations,
    )


def differences(annotations: Sequence[Annotation]) -> tuple[int, int]:
    """How many regions and relations are not in every one of ``annotations`` (for two: the
    size of the symmetric difference)."""

    def spread(sets: list[frozenset]) -> int:
        return len(frozenset().union(*sets) - frozenset.intersection(*sets)) if sets else 0

    return (spread([a.regions for a in annotations]), spread([a.relations for a in annotations]))


# --- review ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskReview:
    doc_id: str
    task_id: int
    annotations: tuple[Annotation, ...]  # not cancelled, by id
    cancelled: tuple[Annotation, ...]
    regions_differ: int
    relations_differ: int

    @property
    def gold(self) -> list[int]:
        return [a.id for a in self.annotations if a.ground_truth]

    @property
    def cancelled_gold(self) -> list[int]:
        return [a.id for a in self.cancelled if a.ground_truth]

    @property
    def disagree(self) -> bool:
        return len(self.annotations) > 1 and (self.regions_differ or self.relations_differ) > 0

    def where(self) -> str:
        return f"doc {self.doc_id} task {self.task_id}"

    def as_json(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "task_id": self.task_id,
            "gold": self.gold,
            "annotations": [a.as_json() for a in self.annotations],
            "cancelled": [a.as_json() for a in self.cancelled],
            "regions_differ": self.regions_differ,
            "relations_differ": self.relations_differ,
        }


def task_review(task: Mapping[str, Any], users: Mapping[int, str]) -> TaskReview:
    data = task.get("data") if isinstance(task.get("data"), Mapping) else {}
    raw = [a for a in task.get("annotations") or [] if isinstance(a, Mapping)]
    annotations = sorted((annotation_of(a, users) for a in raw), key=lambda a: a.id)
    active = tuple(a for a in annotations if not a.cancelled)
    return TaskReview(
        str(data.get("doc_id")),
        int(task["id"]),
        active,
        tuple(a for a in annotations if a.cancelled),
        *differences(active),
    )


@dataclass
class Review:
    project_id: int
    title: str
    tasks: int = 0
    not_annotated: int = 0  # no annotation, or only cancelled ones
    with_gold: int = 0  # exactly one
    without_gold: list[TaskReview] = field(default_factory=list)
    several_gold: list[TaskReview] = field(default_factory=list)
    cancelled_gold: list[TaskReview] = field(default_factory=list)
    disagreements: list[TaskReview] = field(default_factory=list)

    def add(self, task: TaskReview) -> None:
        self.tasks += 1
        if task.cancelled_gold:
            self.cancelled_gold.append(task)
        if task.disagree:
            self.disagreements.append(task)
        if not task.annotations:
            self.not_annotated += 1
        elif not task.gold:
            self.without_gold.append(task)
        elif len(task.gold) > 1:
            self.several_gold.append(task)
        else:
            self.with_gold += 1

    def as_json(self) -> dict[str, Any]:
        return {
            "project": {"id": self.project_id, "title": self.title},
            "tasks": self.tasks,
            "not_annotated": self.not_annotated,
            "with_gold": self.with_gold,
            **{
                name: [t.as_json() for t in getattr(self, name)]
                for name in ("without_gold", "several_gold", "cancelled_gold", "disagreements")
            },
        }

    def text(self) -> str:
        annotated = self.tasks - self.not_annotated
        lines = [
            f"project {self.title!r} (id {self.project_id}): {plural(self.tasks, 'task')}, "
            f"{annotated} annotated ({self.with_gold} with gold, {len(self.without_gold)} "
            f"without, {len(self.several_gold)} with several), {self.not_annotated} not "
            "annotated; "
            f"{plural(len(self.disagreements), 'task')} with disagreeing annotations"
        ]
        if self.without_gold:
            lines.append(f"without gold ({len(self.without_gold)}):")
            lines += [
                f"  {t.where()}: " + ", ".join(a.described() for a in t.annotations)
                for t in self.without_gold
            ]
        if self.several_gold:
            lines.append(
                f"several ground truths ({len(self.several_gold)}): the build refuses these"
            )
            lines += [
                f"  {t.where()}: " + ", ".join(a.named() for a in t.annotations if a.ground_truth)
                for t in self.several_gold
            ]
        if self.cancelled_gold:
            lines.append(
                f"cancelled annotations marked ground truth ({len(self.cancelled_gold)}): "
                "`frontline pull` refuses these"
            )
            lines += [
                f"  {t.where()}: " + ", ".join(a.named() for a in t.cancelled if a.ground_truth)
                for t in self.cancelled_gold
            ]
        if self.disagreements:
            lines.append(f"disagreeing annotations ({len(self.disagreements)}):")
            lines += [
                f"  {t.where()}: "
                + ", ".join(a.named() for a in t.annotations)
                + f" differ in {plural(t.regions_differ, 'region')} and "
                f"{plural(t.relations_differ, 'relation')} (gold: "
                + (", ".join(f"annotation {i}" for i in t.gold) or "none")
                + ")"
                for t in self.disagreements
            ]
        if self.without_gold or self.several_gold or self.cancelled_gold:
            lines.append(
                f"next: choose the annotation to release with `{ACCEPT}` (TASK: a task id or a "
                f"doc id), then run {NEXT}"
            )
        elif not self.disagreements:
            lines.append(
                "nothing to review: every annotated task has one ground truth and no annotations "
                "disagree"
            )
        return "\n".join(lines)


def users_by_id(ls: LabelStudio) -> dict[int, str]:
    return {user.id: user.email or user.username or f"user {user.id}" for user in ls.users.list()}


def project_of(ls: LabelStudio, title: str) -> Any:
    from frontline.studio.client import find_project

    project = find_project(ls, title)
    if project is None:
        raise ReviewError(f"no project titled {title!r} on the server: run `frontline push` first")
    return project


def review_tasks(
    tasks: Iterable[Mapping[str, Any]], users: Mapping[int, str], project_id: int, title: str
) -> Review:
    report = Review(project_id, title)
    for task in sorted((task_review(t, users) for t in tasks), key=lambda t: (t.doc_id, t.task_id)):
        report.add(task)
    return report


def review(ls: LabelStudio, title: str) -> Review:
    """The review of every task of the project called ``title`` (reads only)."""
    project = project_of(ls, title)
    users = users_by_id(ls)
    tasks = (
        {"id": t.id, "data": t.data, "annotations": t.annotations}
        for t in ls.tasks.list(project=project.id, fields="all", page_size=100)
    )
    return review_tasks(tasks, users, project.id, title)


# --- accept ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    doc_id: str
    task_id: int
    annotation: Annotation
    unmarked: tuple[int, ...]  # annotations that lost the mark to it

    @property
    def changed(self) -> bool:
        return not self.annotation.ground_truth or bool(self.unmarked)

    def message(self) -> str:
        where = f"doc {self.doc_id} task {self.task_id}: {self.annotation.named()}"
        if not self.changed:
            return f"{where} is already the ground truth (unchanged)"
        taken = (
            f" (taken from annotation{'s' if len(self.unmarked) > 1 else ''} "
            f"{', '.join(map(str, self.unmarked))})"
            if self.unmarked
            else ""
        )
        return f"{where} is now the ground truth{taken}; run {NEXT} to release it"


def find_task(ls: LabelStudio, project: Any, ref: str) -> Any:
    """The task ``ref`` names in ``project``: a task id, else a doc id (a number that is both the
    id of one task and the doc id of another is refused as ambiguous)."""
    from label_studio_sdk.core.api_error import ApiError

    by_id = None
    if ref.isdigit():
        try:
            task = ls.tasks.get(id=int(ref))
            by_id = task if task.project == project.id else None
        except ApiError as exc:
            if exc.status_code != 404:
                raise
    by_doc = client.doc_task_ids(ls, project.id, ref)
    if by_id is not None and by_doc not in ([], [by_id.id]):
        raise ReviewError(
            f"{ref!r} is task {by_id.id} and the doc id of task(s) "
            f"{', '.join(map(str, by_doc))}: give the task id of the one you mean"
        )
    if by_id is not None:
        return by_id
    if not by_doc:
        raise ReviewError(
            f"project {project.title!r} (id {project.id}) has no task with id or doc id {ref!r}: "
            "`frontline review` lists its tasks"
        )
    if len(by_doc) > 1:
        raise ReviewError(
            f"project {project.title!r} (id {project.id}) has {len(by_doc)} tasks for doc {ref!r} "
            f"(ids {', '.join(map(str, by_doc))}): give the task id"
        )
    return ls.tasks.get(id=by_doc[0])


def _choose_from(candidates: Sequence[Annotation]) -> str:
    return "choose one with --annotation ID:\n" + "\n".join(
        f"  - {a.described()}" for a in candidates
    )


def choose(where: str, annotations: Sequence[Annotation], annotation_id: int | None) -> Annotation:
    """The annotation to accept: ``annotation_id``, or the one not cancelled when there is one.
    ``where`` names the task in the messages."""
    candidates = [a for a in annotations if not a.cancelled]
    if annotation_id is None:
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise ReviewError(
                f"{where} has no annotation that is not cancelled: annotate it in Label Studio "
                "first"
            )
        raise ReviewError(f"{where} has {len(candidates)} annotations: {_choose_from(candidates)}")
    chosen = next((a for a in annotations if a.id == annotation_id), None)
    if chosen is None:
        raise ReviewError(
            f"{where} has no annotation {annotation_id}: {_choose_from(candidates)}"
            if candidates
            else f"{where} has no annotation {annotation_id}, and none that is not cancelled: "
            "annotate it in Label Studio first"
        )
    if chosen.cancelled:
        raise ReviewError(
            f"{where}: {chosen.named()} was cancelled (skipped): a cancelled annotation cannot be "
            "the gold; "
            + (
                _choose_from(candidates)
                if candidates
                else "annotate the task in Label Studio first"
            )
        )
    return chosen


def _annotations(task: Any, users: Mapping[int, str]) -> list[Annotation]:
    return sorted(
        (annotation_of(a, users) for a in task.annotations or [] if isinstance(a, Mapping)),
        key=lambda a: a.id,
    )


def accept(ls: LabelStudio, title: str, ref: str, annotation_id: int | None = None) -> Accepted:
    """Mark one annotation of task ``ref`` (a task id or a doc id) of project ``title`` as its
    ground truth and take the mark from the task's other annotations, so that it has exactly one.

    ``annotation_id`` may be left out when the task has exactly one annotation that is not
    cancelled. A cancelled annotation is refused. Nothing is sent when the annotation is
    already the task's only ground truth. The result is read back: if another client changed
    the marks meanwhile, :class:`ReviewError` says so.
    """
    project = project_of(ls, title)
    task = find_task(ls, project, ref)
    users = users_by_id(ls)
    doc_id = str((task.data or {}).get("doc_id"))
    where = f"doc {doc_id} task {task.id}"
    annotations = _annotations(task, users)
    chosen = choose(where, annotations, annotation_id)
    others = tuple(a.id for a in annotations if a.ground_truth and a.id != chosen.id)
    accepted = Accepted(doc_id, task.id, chosen, others)
    if not accepted.changed:
        return accepted
    ls.annotations.update(
        id=chosen.id, ground_truth=True
    )  # Label Studio 1.23 unmarks the others itself
    still = [
        a.id
        for a in _annotations(ls.tasks.get(id=task.id), users)
        if a.ground_truth and a.id != chosen.id
    ]
    for other in still:  # for a server that does not
        ls.annotations.update(id=other, ground_truth=False)
    gold = [a.id for a in _annotations(ls.tasks.get(id=task.id), users) if a.ground_truth]
    if gold != [chosen.id]:
        raise ReviewError(
            f"{where}: after marking annotation {chosen.id}, the ground truth is on "
            f"{', '.join(f'annotation {i}' for i in gold) or 'no annotation'}: another client "
            "changed it meanwhile; check with `frontline review` and accept again"
        )
    return accepted


# --- the build's message --------------------------------------------------------------
