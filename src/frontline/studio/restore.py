"""Putting a committed export back into Label Studio (``frontline restore``).

Label Studio's own import of a full JSON export refuses annotations whose author has no
account on the server ("Unknown annotator's email"), and ``push`` carries articles only.
:func:`restore` loads an export (normally ``annotation/exports/frontline-gold.json``) into a
project on any server:

* the project (found by title, created with the scheme's labeling config as ``push`` does);
* an account for each author the server lacks (:func:`frontline.studio.client.annotator`),
  with a random password that is neither shown nor stored; accounts are created in the
  order of the export's user ids;
* each task, its data as in the export, imported in bulk in the order of the export's task
  ids, with its predictions (model version, score, result) in the same request when that
  keeps the export's order of prediction ids, else one at a time after the tasks;
* each annotation, one at a time in the order of the export's annotation ids, with its
  author, ``ground_truth``, ``was_cancelled``, ``lead_time`` and ``unique_id``. Label
  Studio's bulk import would keep authors and ``ground_truth`` too, but it leaves
  ``result_count`` at 0 and ``updated_by`` empty, ignores ``unique_id`` and numbers the
  annotations task by task, so the export would not come back as it was. Before each
  annotation the project's model version is set so that Label Studio copies into it the
  prediction the export shows it was made from (or none), and put back afterwards.

Restoring again adds nothing, and an interrupted restore resumes: tasks are matched by
``data.doc_id``; annotations by author (where the server's task holds n annotations by an
author, the export's first n by that author count as there); predictions by model version,
score and result. Nothing on the server is changed or removed (but the labeling config,
brought up to the scheme as ``push`` does): a task whose data differ from the export's gets
nothing added (the export's offsets are into its own text), and on a task that has a ground
truth on the server the export's is added without its mark (Label Studio would take the
mark from the server's).

On a server that has never held a project, Label Studio gives out the export's own ids
(project, tasks, annotations, predictions, users) when these run from 1, as in an export of
the first project of a server (the committed gold's do), and ``updated_by`` is the user
whose token restores (the admin, 1, there). A full export of the restored project then
equals the committed file byte for byte except for what only the server's clock sets, which
the API cannot write: ``created_at`` and ``updated_at`` of tasks, annotations and predictions
(also in the copy of a prediction an annotation keeps). :func:`keep_committed_clock` gives
an export the committed times of every item that is otherwise unchanged;
:func:`compare` says what differs, in meaning and field by field.

Not restored: drafts, comments (and reviews, which the community edition lacks); an export
that holds any is restored without them and the report names them.
"""

from __future__ import annotations

import copy
import json
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError
from tqdm import tqdm

from frontline.core.scheme import Scheme
from frontline.gold.exports import normalise
from frontline.studio import client

#: Fields only the server's clock sets: the API cannot write them.
CLOCK = frozenset({"created_at", "updated_at"})
#: Tasks per import request.
BATCH_SIZE = 100


@dataclass
class RestoreReport:
    project_id: int
    project_created: bool = False
    accounts_created: list[str] = field(default_factory=list)
    tasks_created: int = 0
    tasks_present: int = 0
    annotations_created: int = 0
    annotations_present: int = 0
    predictions_created: int = 0
    predictions_present: int = 0
    #: Doc ids whose task on the server has other data.
    data_differs: list[str] = field(default_factory=list)
    #: Doc ids whose task on the server has a ground truth of its own.
    gold_kept: list[str] = field(default_factory=list)
    #: Drafts and comments of the export.
    not_restored: list[str] = field(default_factory=list)

    @property
    def added(self) -> int:
        return (
            len(self.accounts_created)
            + self.tasks_created
            + self.annotations_created
            + self.predictions_created
        )


def author(annotation: Mapping[str, Any]) -> str | None:
    """The e-mail of an annotation's author, as a full export gives it."""
    who = annotation.get("completed_by")
    return who.get("email") if isinstance(who, Mapping) else None


def _doc(task: Mapping[str, Any]) -> str:
    return str(task["data"]["doc_id"])


def _key(item: Mapping[str, Any]) -> tuple[str, Any]:
    return (str(type(item.get("id"))), item.get("id") or 0)


def _prediction_key(prediction: Mapping[str, Any]) -> str:
    return json.dumps(
        [prediction.get("model_version"), prediction.get("score"), prediction.get("result")],
        sort_keys=True,
    )


def _check(tasks: Sequence[Mapping[str, Any]]) -> None:
    """:class:`~frontline.studio.client.SyncError` unless every annotation names its author."""
    nameless = [
        f"doc {_doc(t)} annotation {a.get('id')}"
        for t in tasks
        for a in t.get("annotations", [])
        if not author(a)
    ]
    if nameless:
        raise client.SyncError(
            "the export does not name the author (completed_by.email) of "
            + ", ".join(nameless[:5])
            + (" ..." if len(nameless) > 5 else "")
            + ": restore needs a full JSON export as `frontline pull` writes"
        )


def _accounts(
    ls: LabelStudio, tasks: Sequence[Mapping[str, Any]], report: RestoreReport
) -> dict[str, int]:
    """Server user id of each author, creating the accounts the server lacks (in the order of
    the export's user ids, so that a new server gives them the same ids)."""
    people: dict[str, Mapping[str, Any]] = {}
    for task in tasks:
        for annotation in task.get("annotations", []):
            people.setdefault(author(annotation), annotation["completed_by"])  # type: ignore[arg-type]
    known = {user.email: user.id for user in ls.users.list()}
    ids: dict[str, int] = {}
    for email, who in sorted(
        people.items(),
        key=lambda p: (not isinstance(p[1].get("id"), int), p[1].get("id") or 0, p[0]),
    ):
        if email in known:
            ids[email] = known[email]
            continue
        # a password never shown, never stored
        ids[email] = client.annotator(ls, email, secrets.token_urlsafe(24))
        names = {k: who[k] for k in ("first_name", "last_name") if who.get(k)}
        if names:
            ls.users.update(id=ids[email], **names)
        report.accounts_created.append(email)
    return ids


def _tasks_on_server(ls: LabelStudio, project_id: int) -> dict[str, dict[str, Any]]:
    """The project's tasks in full, by doc id; several tasks of one doc are an error."""
    held: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for task in client.export_snapshot(ls, project_id):
        held[str((task.get("data") or {}).get("doc_id"))].append(task)
    twice = sorted(doc for doc, found in held.items() if len(found) > 1)
    if twice:
        raise client.SyncError(
            f"project {project_id} has more than one task for doc(s) {', '.join(twice)}: "
            "remove the extra tasks before restoring"
        )
    return {doc: found[0] for doc, found in held.items()}


def _payload(task: Mapping[str, Any], predictions: bool) -> dict[str, Any]:
    payload: dict[str, Any] = {"data": task["data"]}
    if task.get("meta"):
        payload["meta"] = task["meta"]
    if task.get("allow_skip") is False:
        payload["allow_skip"] = False
    if predictions and task.get("predictions"):
        payload["predictions"] = [
            {
                "result": p.get("result", []),
                "model_version": p.get("model_version"),
                "score": p.get("score"),
            }
            for p in sorted(task["predictions"], key=_key)
        ]
    return payload


def _ids_of(tasks_on_server: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    return {doc: int(task["id"]) for doc, task in tasks_on_server.items()}


def restore(
    ls: LabelStudio,
    tasks: Sequence[Mapping[str, Any]],
    scheme: Scheme,
    *,
    title: str = client.DEFAULT_TITLE,
    force: bool = False,
    progress: bool = True,
    batch_size: int = BATCH_SIZE,
) -> RestoreReport:
    """Load the export ``tasks`` (validated) into project ``title``; see the module's text.

    Two restores or pushes to one project must not run at once: ``frontline restore`` holds
    :func:`~frontline.studio.client.push_lock` around this call.
    """
    _check(tasks)
    tasks = sorted(tasks, key=lambda t: (_key(t), _doc(t)))
    project, created, _ = client.ensure_project(ls, title, scheme, force=force)
    report = RestoreReport(project.id, created)
    report.not_restored = _not_restored(tasks)
    users = _accounts(ls, tasks, report)
    present = {} if created else _tasks_on_server(ls, project.id)

    # tasks, with their predictions when the bulk import keeps the export's order of
    # prediction ids
    new = [t for t in tasks if _doc(t) not in present]
    report.tasks_present = len(tasks) - len(new)
    report.data_differs = [
        _doc(t) for t in tasks if _doc(t) in present and present[_doc(t)]["data"] != t["data"]
    ]
    # the export's offsets are into its own text: nothing goes into a task that holds another
    tasks = [t for t in tasks if _doc(t) not in report.data_differs]
    in_bulk = [p for t in new for p in sorted(t.get("predictions", []), key=_key)]
    bulk = in_bulk == sorted(in_bulk, key=_key)
    server_id = _ids_of(present)
    server_id |= _import_tasks(ls, project.id, new, bulk, batch_size, progress)
    report.tasks_created = len(new)
    if bulk:
        report.predictions_created = len(in_bulk)
    prediction_ids = _predictions(ls, project.id, tasks, present, server_id, bulk, report)
    _annotations(ls, project.id, tasks, present, server_id, users, prediction_ids, report, progress)
    return report


def _not_restored(tasks: Sequence[Mapping[str, Any]]) -> list[str]:
    """The drafts and comments of the export, which are not restored."""
    found = []
    for task in tasks:
        if task.get("drafts"):
            found.append(f"doc {_doc(task)}: {len(task['drafts'])} draft(s)")
        if task.get("comment_count"):
            found.append(f"doc {_doc(task)}: {task['comment_count']} comment(s)")
    return found


def _import_tasks(
    ls: LabelStudio,
    project_id: int,
    new: Sequence[Mapping[str, Any]],
    predictions: bool,
    batch_size: int,
    progress: bool,
) -> dict[str, int]:
    """Import the tasks ``new`` in batches (with their predictions if ``predictions``); the
    server's task id of each, by doc id."""
    server_id: dict[str, int] = {}
    with tqdm(total=len(new), desc="tasks", unit="task", disable=not progress) as bar:
        for start in range(0, len(new), batch_size):
            batch = new[start : start + batch_size]
            answer = ls.projects.import_tasks(
                id=project_id,
                request=[_payload(t, predictions) for t in batch],
                return_task_ids=True,
            )
            ids = list(answer.task_ids or [])
            if len(ids) != len(batch):
                raise client.SyncError(
                    f"Label Studio made {len(ids)} task(s) of {len(batch)}: run "
                    "`frontline restore` again"
                )
            server_id.update(zip(map(_doc, batch), ids, strict=True))
            bar.update(len(batch))
    return server_id


def _predictions(
    ls: LabelStudio,
    project_id: int,
    tasks: Sequence[Mapping[str, Any]],
    present: Mapping[str, Mapping[str, Any]],
    server_id: Mapping[str, int],
    bulk: bool,
    report: RestoreReport,
) -> dict[Any, int]:
    """Create the predictions not imported with their task (``bulk``: the new tasks' were), in
    the order of their ids; the server's id of each, by the export's."""
    prediction_ids: dict[Any, int] = {}
    todo = []
    for task in tasks:
        held = Counter(
            _prediction_key(p) for p in present.get(_doc(task), {}).get("predictions", [])
        )
        for prediction in sorted(task.get("predictions", []), key=_key):
            if _doc(task) in present and held[_prediction_key(prediction)] > 0:
                held[_prediction_key(prediction)] -= 1
                report.predictions_present += 1
            elif _doc(task) in present or not bulk:
                todo.append((prediction, task))
    todo.sort(key=lambda pair: _key(pair[0]))
    for prediction, task in todo:
        made = ls.predictions.create(
            task=server_id[_doc(task)],
            result=prediction.get("result", []),
            model_version=prediction.get("model_version"),
            score=prediction.get("score"),
        )
        prediction_ids[prediction.get("id")] = made.id
        report.predictions_created += 1
    if todo and not ls.projects.get(id=project_id).model_version:  # as a bulk import sets it
        _model_version(ls, project_id, todo[-1][0].get("model_version") or "")
    return prediction_ids


def _annotations(
    ls: LabelStudio,
    project_id: int,
    tasks: Sequence[Mapping[str, Any]],
    present: Mapping[str, Mapping[str, Any]],
    server_id: Mapping[str, int],
    users: Mapping[str, int],
    prediction_ids: Mapping[Any, int],
    report: RestoreReport,
    progress: bool,
) -> None:
    """Create the annotations the server lacks, one at a time in the order of their ids."""
    todo = _annotations_missing(tasks, present, report)
    if not todo:
        return
    # Label Studio unmarks a task's other annotations when one is saved as ground truth: a task
    # that has a ground truth on the server keeps it, and the export's comes without the mark
    gold_there = {
        doc
        for doc, task in present.items()
        if any(a.get("ground_truth") is True for a in task.get("annotations", []))
    }
    annotation_ids: dict[Any, int] = {}  # the export's id -> the server's, as they are made
    ids = {
        "parent_annotation": annotation_ids,
        "parent_prediction": prediction_ids,
        "last_created_by": _user_ids(tasks, users),
    }
    version = ls.projects.get(id=project_id).model_version or ""
    current = version
    try:  # the model version is put back even when the server fails, if it still answers
        for annotation, task in tqdm(
            todo, desc="annotations", unit="annotation", disable=not progress
        ):
            wanted = _copied_version(annotation)
            if wanted != current:
                current = _model_version(ls, project_id, wanted)
            gold = annotation.get("ground_truth") is True
            if gold and _doc(task) in gold_there:
                gold = False
                report.gold_kept.append(_doc(task))
            fields = _annotation_fields(annotation, users[author(annotation)], gold, ids)
            made = _create_annotation(ls, server_id[_doc(task)], fields)
            annotation_ids[annotation.get("id")] = made
            report.annotations_created += 1
    except BaseException:
        if current != version:
            with suppress(Exception):
                _model_version(ls, project_id, version)
        raise
    if current != version:
        _model_version(ls, project_id, version)


def _annotations_missing(
    tasks: Sequence[Mapping[str, Any]],
    present: Mapping[str, Mapping[str, Any]],
    report: RestoreReport,
) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """(annotation, task) of the annotations the server lacks, in the order of their ids: where
    the server's task holds n annotations by an author, the export's first n by that author
    count as there (:attr:`RestoreReport.annotations_present`)."""
    kept = Counter(
        (doc, author(a)) for doc, task in present.items() for a in task.get("annotations", [])
    )
    todo = []
    for task in tasks:
        for annotation in sorted(task.get("annotations", []), key=_key):
            mine = (_doc(task), author(annotation))
            if kept[mine] > 0:
                kept[mine] -= 1
                report.annotations_present += 1
            else:
                todo.append((annotation, task))
    return sorted(todo, key=lambda pair: _key(pair[0]))


def _user_ids(tasks: Sequence[Mapping[str, Any]], users: Mapping[str, int]) -> dict[Any, int]:
    """The server's user id of each author, by the export's user id."""
    return {
        a["completed_by"].get("id"): users[author(a)]
        for t in tasks
        for a in t.get("annotations", [])
        if isinstance(a["completed_by"].get("id"), int)
    }


def _copied_version(annotation: Mapping[str, Any]) -> str:
    """The model version of the prediction the annotation was made from ("" for none)."""
    copied = annotation.get("prediction")
    return (copied.get("model_version") or "") if isinstance(copied, Mapping) and copied else ""


def _annotation_fields(
    annotation: Mapping[str, Any],
    user: int,
    gold: bool,
    ids: Mapping[str, Mapping[Any, int]],
) -> dict[str, Any]:
    """What to create the export's ``annotation`` with, by server user ``user``; ``ids`` maps
    the export's ids to the server's for each of the fields that refer to another item."""
    fields: dict[str, Any] = {
        "result": annotation.get("result", []),
        "completed_by": user,
        "ground_truth": gold,
        "was_cancelled": annotation.get("was_cancelled") is True,
        "lead_time": annotation.get("lead_time"),
    }
    for name in ("draft_created_at", "import_id", "last_action"):
        if annotation.get(name) is not None:
            fields[name] = annotation[name]
    if annotation.get("bulk_created"):
        fields["bulk_created"] = True
    for name in ("parent_annotation", "parent_prediction", "last_created_by"):
        if annotation.get(name) in ids[name]:
            fields[name] = ids[name][annotation[name]]
    if annotation.get("unique_id"):
        fields["unique_id"] = str(annotation["unique_id"])
    return fields


def _create_annotation(ls: LabelStudio, task_id: int, fields: dict[str, Any]) -> int:
    """Create an annotation of task ``task_id``; its server id. One whose ``unique_id`` is
    taken (it was restored into another project too) is created without it."""
    try:
        return ls.annotations.create(id=task_id, **fields).id
    except ApiError as exc:
        if exc.status_code != 409 or "unique_id" not in fields:
            raise
        del fields["unique_id"]
        return ls.annotations.create(id=task_id, **fields).id


def _model_version(ls: LabelStudio, project_id: int, version: str) -> str:
    """Set the project's model version (Label Studio copies the prediction of that version into
    each annotation made); one no prediction has becomes "" (no copy). The version set."""
    try:
        ls.projects.update(id=project_id, model_version=version)
        return version
    except ApiError as exc:
        if exc.status_code != 400 or not version:
            raise
        ls.projects.update(id=project_id, model_version="")
        return ""


# --- what a restored project's export has of the committed one --------------------------


def _without_clock(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _without_clock(v) for k, v in value.items() if k not in CLOCK and k != "created_ago"
        }
    if isinstance(value, list):
        return [_without_clock(v) for v in value]
    return value


def keep_committed_clock(
    pulled: Sequence[Mapping[str, Any]], committed: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """``pulled`` with the committed ``created_at`` and ``updated_at`` of every task, annotation
    and prediction that has the id of a committed one and equals it in everything else (a task
    with its annotations and predictions); what has changed keeps the server's times.

    After a restore into a server that had no project before, ``dumps`` of the result is the
    committed file byte for byte.
    """
    old = {(_doc(t), t.get("id")): t for t in committed if isinstance(t.get("data"), Mapping)}
    out = []
    for task in pulled:
        before = old.get((_doc(task), task.get("id")))
        if before is None:
            out.append(copy.deepcopy(dict(task)))
        elif _without_clock(task) == _without_clock(before):
            out.append(copy.deepcopy(dict(before)))
        else:
            task = copy.deepcopy(dict(task))
            for key in ("annotations", "predictions"):
                earlier = {item.get("id"): item for item in before.get(key) or []}
                task[key] = [
                    _same_but_clock(item, earlier.get(item.get("id")))
                    for item in task.get(key) or []
                ]
            out.append(task)
    return out


def _same_but_clock(item: Any, committed: Any) -> Any:
    """The committed item if ``item`` differs from it only in the clock, else ``item``."""
    return (
        copy.deepcopy(committed)
        if committed is not None and _without_clock(item) == _without_clock(committed)
        else item
    )


def _meaning(task: Mapping[str, Any]) -> dict[str, Any]:
    """What a task means: its data, each annotation's author, result and flags, each prediction."""
    return {
        "data": task.get("data"),
        "annotations": sorted(
            json.dumps(
                [
                    author(a),
                    a.get("result"),
                    a.get("ground_truth"),
                    a.get("was_cancelled"),
                    a.get("lead_time"),
                ],
                sort_keys=True,
            )
            for a in task.get("annotations") or []
        ),
        "predictions": sorted(_prediction_key(p) for p in task.get("predictions") or []),
    }


def meaning(tasks: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Doc id -> what its task means (:func:`_meaning`): equal for two exports that hold the same
    tasks, regions, relations, authors, flags and predictions, whatever their ids and times."""
    return {_doc(t): _meaning(t) for t in tasks}


def _paths(a: Any, b: Any, where: str = "") -> Iterator[str]:
    """The places where JSON values ``a`` and ``b`` differ (``annotations[].id``)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            place = f"{where}.{key}" if where else key
            if key not in a or key not in b:
                yield place
            else:
                yield from _paths(a[key], b[key], place)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for x, y in zip(a, b, strict=True):
            yield from _paths(x, y, f"{where}[]")
    elif a != b or type(a) is not type(b):
        yield where


@dataclass
class Comparison:
    """How a project's export compares with the committed one, for the committed docs."""

    lost: list[str]  # what the committed export means that the project's lacks, one line each
    extra: list[str]  # what the project holds beyond it
    fields: Counter[str]  # field (``annotations[].created_at``) -> how many values differ

    @property
    def same_meaning(self) -> bool:
        return not self.lost


def compare(
    committed: Sequence[Mapping[str, Any]], pulled: Sequence[Mapping[str, Any]]
) -> Comparison:
    """Compare a project's export with the committed one, in meaning (tasks by doc id,
    annotations by author, result, flags and lead time, predictions by model version, score and
    result) and field by field (tasks by doc id, their annotations and predictions in the order
    of their ids), as :func:`~frontline.gold.exports.dumps` writes them."""
    old, new = meaning(committed), meaning(pulled)
    lost, extra = [], []
    for doc, was in sorted(old.items()):
        now = new.get(doc)
        if now is None:
            lost.append(f"doc {doc}: no task")
            continue
        if now["data"] != was["data"]:
            lost.append(f"doc {doc}: the task's data differ")
        for key in ("annotations", "predictions"):
            missing, more = (
                Counter(was[key]) - Counter(now[key]),
                Counter(now[key]) - Counter(was[key]),
            )
            for item in missing.elements():
                lost.append(f"doc {doc}: {key[:-1]} {_describe(key, item)} missing or different")
            for item in more.elements():
                extra.append(
                    f"doc {doc}: {key[:-1]} {_describe(key, item)} not in the committed export"
                )
    extra += [f"doc {doc}: task not in the committed export" for doc in sorted(set(new) - set(old))]
    fields: Counter[str] = Counter()
    pulled_by_doc = {_doc(t): t for t in normalise(pulled)}
    for task in normalise(committed):
        if _doc(task) in pulled_by_doc:
            fields.update(_paths(task, pulled_by_doc[_doc(task)]))
    return Comparison(lost, extra, fields)


def _describe(key: str, item: str) -> str:
    values = json.loads(item)
    if key == "annotations":
        return f"by {values[0]}" + (" (ground truth)" if values[2] else "")
    return f"of model version {values[0]!r}"
