"""Keeping a Label Studio project in sync with the articles, through label-studio-sdk 2.x.

* :func:`push` creates the project (found by title) if needed, applies the labeling
  config generated from the scheme, and imports the articles that have no task yet,
  in batches, optionally with model predictions. Re-running it is a no-op; a push that
  was interrupted resumes where it stopped, because tasks are matched by ``doc_id``.
* :func:`pull` takes a full JSON export snapshot (predictions included in full).
* :func:`server_errors` turns a lost connection or an error answer into a :class:`SyncError`
  that names the server and says what to do (never the token, nor a password in the URL:
  :func:`redact`).
* :func:`push_lock` is the lock file that keeps two pushes to one project of one server apart
  (``frontline push`` refuses at once while another holds it, rather than waiting).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError
from tqdm import tqdm

from frontline.core.articles import Article
from frontline.core.documents import to_result
from frontline.core.labelconfig import label_config
from frontline.core.scheme import Scheme
from frontline.errors import FrontlineError
from frontline.studio.tasks import task_data

DEFAULT_TITLE = "Frontline gold"
BATCH_SIZE = 20
TITLE_LENGTH = (3, 50)  # Label Studio's PROJECT_TITLE_MIN_LEN and PROJECT_TITLE_MAX_LEN


class SyncError(FrontlineError):
    """The project cannot be brought in sync without losing something."""


_SECRET_PARAMS = re.compile(r"token|key|secret|passw|auth|sig", re.IGNORECASE)
_SECRETS_IN_TEXT = [
    (
        re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*):[^/\s@]*@", re.IGNORECASE),
        r"\1:***@",
    ),  # user:pw@
    (re.compile(r"\b[0-9a-f]{40}\b", re.IGNORECASE), "***"),  # Label Studio's legacy tokens
    (re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]+"), "***"),  # its personal access tokens (JWT)
]


def redact(url: str) -> str:
    """``url`` fit to show: a password becomes ``***`` (``http://user:***@host``), so does a user
    name given alone (it may be a token), and so do query values named like a token or key."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            userinfo, host = netloc.rsplit("@", 1)
            user, has_password, _ = userinfo.partition(":")
            netloc = f"{user}:***@{host}" if has_password else f"***@{host}"
        query = urlencode(
            [
                (k, "***" if _SECRET_PARAMS.search(k) else v)
                for k, v in parse_qsl(parts.query, keep_blank_values=True)
            ],
            safe="*",
        )
        return urlunsplit(parts._replace(netloc=netloc, query=query))
    except ValueError:
        return redact_text(url)


def redact_text(text: str, *secrets: str) -> str:
    """``text`` without ``secrets``, passwords of URLs or anything shaped like a Label Studio
    token."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    for pattern, replacement in _SECRETS_IN_TEXT:
        text = pattern.sub(replacement, text)
    return text


def check_title(title: str) -> None:
    """:class:`SyncError` unless Label Studio would keep ``title`` as given: 3 to 50 characters
    (its rule), no spaces at the ends (it strips them, so the project would never be found)."""
    low, high = TITLE_LENGTH
    kept = title.strip()
    if not low <= len(kept) <= high:
        raise SyncError(
            f"project title {title!r} has {len(kept)} character(s): Label Studio titles have "
            f"{low} to {high}"
        )
    if title != kept:
        raise SyncError(
            f"project title {title!r} starts or ends with a space, which Label Studio strips: "
            f"give it as {kept!r}"
        )


def push_lock(state: Path, url: str, title: str) -> Path:
    """The lock file of pushes to project ``title`` on the server at ``url``, in the state folder
    (named by a hash of the server's address, without credentials, and the title)."""
    parts = urlsplit(url.strip())
    server = urlunsplit(
        (
            parts.scheme.lower(),
            (parts.hostname or "") + (f":{parts.port}" if parts.port else ""),
            parts.path.rstrip("/"),
            "",
            "",
        )
    )
    digest = hashlib.sha256(f"{server}\n{title}".encode()).hexdigest()[:20]
    return state / "locks" / f"push-{digest}.lock"


Predict = Callable[
    [Article], tuple[str, list[dict[str, Any]]] | tuple[str, list[dict[str, Any]], float | None]
]
"""A pre-annotation model: article -> (model_version, Label Studio result[, prediction score])."""


def connect(url: str, token: str) -> LabelStudio:
    """An SDK client of the server at ``url`` (no retries: :func:`push` resumes instead)."""
    return LabelStudio(base_url=url, api_key=token, timeout=900, max_retries=0)


def _detail(body: Any, limit: int = 200) -> str:
    """The server's explanation from an error body, on one short line."""
    if isinstance(body, dict) and body.get("detail"):
        body = body["detail"]
    text = " ".join(str(body or "").split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _failure(exc: httpx.HTTPError | ApiError, url: str, hint: str, token_hint: str) -> str:
    """One line saying what went wrong with the server at ``url`` and what to do."""
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    url = redact(url)
    if isinstance(exc, httpx.HTTPError):
        what = (
            f"{type(exc).__name__}: {redact_text(str(exc), password)}"
            if str(exc)
            else type(exc).__name__
        )
        return f"lost the connection to Label Studio at {url} ({what}); {hint}"
    detail = redact_text(_detail(exc.body), password)
    answer = f"HTTP {exc.status_code}" + (f": {detail}" if detail else "")
    if exc.status_code in (401, 403):
        return f"Label Studio at {url} refused the API token ({answer}); {token_hint}"
    if exc.status_code is not None and exc.status_code >= 500:
        return f"Label Studio at {url} failed ({answer}); {hint}"
    return f"Label Studio at {url} refused the request ({answer})"


@contextmanager
def server_errors(url: str, hint: str, token_hint: str = "check the API token") -> Iterator[None]:
    """Turn a lost connection or an error answer of the server at ``url`` into a :class:`SyncError`.

    ``hint`` says how to carry on after a lost connection or a server failure (HTTP 5xx),
    ``token_hint`` after a refused token (HTTP 401, 403). The message is one line and never
    holds the token (the SDK's exceptions do not either; the request they refer to does) nor a
    password in ``url`` (:func:`redact`).
    """
    try:
        yield
    except (httpx.HTTPError, ApiError) as exc:
        raise SyncError(_failure(exc, url, hint, token_hint)) from exc


def find_project(ls: LabelStudio, title: str) -> Any | None:
    """The one project called ``title``, or None; more than one is an error."""
    matches = [p for p in ls.projects.list(title=title) if p.title == title]
    if len(matches) > 1:
        raise SyncError(
            f"{len(matches)} projects are titled {title!r} (ids "
            f"{', '.join(str(p.id) for p in matches)}): rename all but one"
        )
    return matches[0] if matches else None


def labels_in_use(tasks: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    """Label -> the annotations that use it ("doc X task N annotation M")."""
    used: dict[str, list[str]] = {}
    for task in tasks:
        for ann in task.get("annotations", []):
            where = f"doc {task['data'].get('doc_id')} task {task['id']} annotation {ann['id']}"
            for item in ann.get("result", []):
                labels = item.get("labels") or item.get("value", {}).get("labels") or []
                for label in labels:
                    used.setdefault(label, []).append(where)
    return used


def orphans(tasks: Iterable[dict[str, Any]], scheme: Scheme) -> list[str]:
    """Annotations that would use a label the scheme no longer has."""
    known = {*scheme.entity_names, *scheme.relation_names}
    return [
        f"{where}: label {label!r}"
        for label, places in sorted(labels_in_use(tasks).items())
        if label not in known
        for where in sorted(set(places))
    ]


def existing_doc_ids(ls: LabelStudio, project_id: int) -> Counter[str]:
    """How many tasks the project has for each doc id."""
    counts: Counter[str] = Counter()
    for task in ls.tasks.list(project=project_id, fields="all", page_size=500):
        counts[str((task.data or {}).get("doc_id"))] += 1
    return counts


def doc_task_ids(ls: LabelStudio, project_id: int, doc_id: str) -> list[int]:
    """The ids, sorted, of the project's tasks whose ``data.doc_id`` is ``doc_id`` (filtered by
    the server, checked here: the filter is Label Studio's, the match is ours)."""
    query = json.dumps(
        {
            "filters": {
                "conjunction": "and",
                "items": [
                    {
                        "filter": "filter:tasks:data.doc_id",
                        "operator": "equal",
                        "type": "String",
                        "value": doc_id,
                    }
                ],
            }
        }
    )
    return sorted(
        t.id
        for t in ls.tasks.list(project=project_id, query=query)
        if str((t.data or {}).get("doc_id")) == doc_id
    )


def task_of(ls: LabelStudio, project_id: int, doc_id: str) -> int:
    """The id of the one task of ``doc_id`` in the project."""
    ids = doc_task_ids(ls, project_id, doc_id)
    if len(ids) != 1:
        raise SyncError(f"project {project_id} has {len(ids)} tasks for doc {doc_id}, expected 1")
    return ids[0]


@dataclass
class PushReport:
    project_id: int
    created: bool = False
    config_updated: bool = False
    imported: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)


def same_config(a: str, b: str) -> bool:
    """Whether two labeling configs are the same XML (the server trims whitespace)."""
    try:
        return ET.canonicalize(a, strip_text=True) == ET.canonicalize(b, strip_text=True)
    except ET.ParseError:
        return False


def _look_alike(title: str) -> str:
    return " ".join(title.split()).casefold()


def ensure_project(
    ls: LabelStudio, title: str, scheme: Scheme, *, force: bool = False
) -> tuple[Any, bool, bool]:
    """Find or create the project and apply the scheme's config; (project, created, updated).

    Never makes a second project of a title: it refuses one that differs from an existing title
    only by case or spaces, and if another client created the same title meanwhile, the project
    it just created (still empty) is deleted again if the other is older (lower id), and
    :class:`SyncError` names that one.
    """
    check_title(title)
    config = label_config(scheme)
    project = find_project(ls, title)
    if project is None:
        similar = [
            p for p in ls.projects.list() if _look_alike(p.title or "") == _look_alike(title)
        ]
        if similar:
            raise SyncError(
                f"project {similar[0].title!r} (id {similar[0].id}) already exists: push to it "
                f"with --project {similar[0].title!r}, or choose a title that differs by more "
                "than case or spaces"
            )
        project = ls.projects.create(
            title=title,
            label_config=config,
            description=f"Frontline annotation, scheme {scheme.version}",
        )
        earlier = [
            p for p in ls.projects.list(title=title) if p.title == title and p.id < project.id
        ]
        # the first one made stays; the later ones are removed by the clients that made them
        if earlier:
            ls.projects.delete(id=project.id)
            first = min(earlier, key=lambda p: p.id)
            raise SyncError(
                f"project {title!r} was created by another client at the same time "
                f"(id {first.id}); removed the one this push made (id {project.id}): run the push "
                "again"
            )
        return project, True, False
    if same_config(ls.projects.get(id=project.id).label_config or "", config):
        return project, False, False
    lost = orphans(ls.projects.exports.as_json(project.id), scheme)
    if lost and not force:
        raise SyncError(
            "the new labeling config would orphan annotations (use --force to apply it "
            "anyway):\n" + "\n".join(f"  - {x}" for x in lost)
        )
    ls.projects.update(id=project.id, label_config=config)
    return project, False, True


def task_payload(article: Article, predict: Predict | None) -> dict[str, Any]:
    payload: dict[str, Any] = {"data": task_data(article)}
    if predict is not None:
        version, result, *score = predict(article)  # a third item, if any: the prediction's score
        payload["predictions"] = [
            {
                "model_version": version,
                "result": result,
                **({"score": score[0]} if score and score[0] is not None else {}),
            }
        ]
    return payload


def push(
    ls: LabelStudio,
    articles: Sequence[Article],
    scheme: Scheme,
    *,
    title: str = DEFAULT_TITLE,
    predict: Predict | None = None,
    batch_size: int = BATCH_SIZE,
    force: bool = False,
    progress: bool = True,
) -> PushReport:
    """Bring the project in sync: config from the scheme, one task per article.

    Two pushes to one project must not run at once (both would import the missing articles):
    ``frontline push`` holds :func:`push_lock` around this call.
    """
    if batch_size < 1:
        raise SyncError(f"batch size must be a whole number of at least 1, not {batch_size}")
    project, created, updated = ensure_project(ls, title, scheme, force=force)
    report = PushReport(project.id, created, updated)
    present = existing_doc_ids(ls, project.id)
    report.duplicates = sorted(d for d, n in present.items() if n > 1)
    todo = [a for a in sorted(articles, key=lambda a: a.id) if a.id not in present]
    with tqdm(total=len(todo), desc="importing", unit="task", disable=not progress) as bar:
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            ls.projects.import_tasks(
                id=project.id,
                request=[task_payload(a, predict) for a in batch],
                return_task_ids=True,
            )
            report.imported += [a.id for a in batch]
            bar.update(len(batch))
    return report


def export_snapshot(
    ls: LabelStudio, project_id: int, timeout: float = 600.0
) -> list[dict[str, Any]]:
    """Every task of the project in Label Studio's full JSON, predictions and annotators in full."""
    snapshot = ls.projects.exports.create(
        project_id,
        title="frontline pull",
        serialization_options={
            "predictions": {"only_id": False},
            "annotations__completed_by": {"only_id": False},
        },
        task_filter_options={"only_with_annotations": False},
    )
    deadline = time.monotonic() + timeout
    while snapshot.status != "completed":
        if snapshot.status == "failed" or time.monotonic() > deadline:
            raise SyncError(
                f"export snapshot {snapshot.id} of project {project_id}: {snapshot.status}"
            )
        time.sleep(0.5)
        snapshot = ls.projects.exports.get(id=project_id, export_pk=snapshot.id)
    data = b"".join(
        ls.projects.exports.download(id=project_id, export_pk=snapshot.id, export_type="JSON")
    )
    ls.projects.exports.delete(id=project_id, export_pk=snapshot.id)
    return json.loads(data)


def pull(ls: LabelStudio, title: str = DEFAULT_TITLE) -> list[dict[str, Any]]:
    """The full export of the project called ``title``."""
    project = find_project(ls, title)
    if project is None:
        raise SyncError(f"no project titled {title!r} on the server")
    return export_snapshot(ls, project.id)


def annotator(ls: LabelStudio, email: str, password: str) -> int:
    """The user id of annotator ``email``, creating the account if needed."""
    for user in ls.users.list():
        if user.email == email:
            return user.id
    return ls.users.create(username=email.split("@")[0], email=email, password=password).id


@dataclass(frozen=True)
class Saved:
    annotation_id: int
    action: str  # "created", "updated" or "unchanged"
    unmarked: tuple[int, ...]  # annotations that lost their ground_truth mark to this one


def annotate(
    ls: LabelStudio,
    task_id: int,
    doc: Any,
    *,
    user_id: int,
    ground_truth: bool,
    lead_time: float | None = None,
) -> Saved:
    """Save ``doc`` (a :class:`~frontline.core.documents.Document`) as ``user_id``'s annotation.

    Idempotent: an annotator has one annotation per task; saving again updates it (Label
    Studio keeps the history) or does nothing when it is unchanged. Marking it
    ``ground_truth`` takes the mark from any other annotation of the task, so there is
    always at most one gold annotation (the others are kept).
    """
    result = to_result(doc)
    existing = ls.annotations.list(id=task_id)
    mine = [a for a in existing if a.completed_by == user_id and not a.was_cancelled]
    unmarked = tuple(a.id for a in existing if ground_truth and a.ground_truth and a not in mine)
    for annotation_id in unmarked:
        ls.annotations.update(id=annotation_id, ground_truth=False)
    if not mine:
        created = ls.annotations.create(
            id=task_id,
            result=result,
            completed_by=user_id,
            ground_truth=ground_truth,
            lead_time=lead_time,
        )
        return Saved(created.id, "created", unmarked)
    current = mine[0]
    if current.result == result and bool(current.ground_truth) == ground_truth:
        return Saved(current.id, "unchanged", unmarked)
    ls.annotations.update(id=current.id, result=result, ground_truth=ground_truth)
    return Saved(current.id, "updated", unmarked)
