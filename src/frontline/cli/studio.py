"""The steps of ``frontline.studio``: the local Label Studio server and what goes to and from it.

Every step that talks to a server finds it the same way (``--url``, else
``$FRONTLINE_LS_URL``, else the default port: :func:`_server_url`) and turns a lost
connection or an error answer into a one-line error (:func:`_on_server`).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from frontline.baselines.lexicon import Lexicon
from frontline.core.articles import Article, load_articles
from frontline.core.documents import Document, to_result
from frontline.core.files import atomic_write
from frontline.core.locks import exclusive
from frontline.core.paths import Project
from frontline.core.scheme import Scheme, load_scheme
from frontline.errors import CommandError
from frontline.gold import exports
from frontline.gold.validate import ExportInvalid, export_problems
from frontline.studio import client, service
from frontline.studio.sheets import SheetError, read_sheet, sheet_document
from frontline.studio.tasks import tasks_json

if TYPE_CHECKING:
    from frontline.studio.restore import Comparison, RestoreReport

# --- the server -------------------------------------------------------------------------


def _legacy_state_note(project: Project) -> str:
    """A hint when an older version left the server's state inside the checkout ('' if not)."""
    old = project.legacy_state
    if not ((old / "credentials.json").exists() or (old / "studio").is_dir()):
        return ""
    return (
        f"the Label Studio state of an older frontline is in {old}, inside the checkout; it now "
        f"lives in {project.state}: stop that server, then move {old}'s credentials.json, "
        f"studio.json, service.log and studio/ there"
    )


def _server_url(args: argparse.Namespace) -> str:
    """The server the command talks to: --url, else $FRONTLINE_LS_URL, else the default port."""
    return args.url or os.environ.get(service.ENV_URL) or f"http://127.0.0.1:{service.DEFAULT_PORT}"


def _not_answering(url: str) -> CommandError:
    """The error of a step whose server does not answer at ``url``."""
    return CommandError(
        f"no Label Studio answers at {client.redact(url)}: start one with "
        f"`frontline studio start` or pass --url / set {service.ENV_URL}"
    )


def _client(project: Project, args: argparse.Namespace) -> client.LabelStudio:
    """A client of the step's server, with the token of ``$FRONTLINE_LS_TOKEN`` or ours."""
    url = _server_url(args)
    if not service.is_up(url):
        raise _not_answering(url)
    try:
        return client.connect(url, service.api_token(project.state))
    except service.StudioError as exc:
        note = _legacy_state_note(project)
        raise CommandError(f"{exc}" + (f" ({note})" if note else "")) from None


def _on_server(args: argparse.Namespace, step: str, carry_on: str) -> AbstractContextManager[None]:
    """Make a lost connection or an error answer during ``frontline STEP`` a one-line error."""
    return client.server_errors(
        _server_url(args),
        f"start the server and run `frontline {step}` again: {carry_on}",
        token_hint=f"check ${service.ENV_TOKEN}, or unset it to use the local server's token",
    )


def cmd_studio_start(project: Project, args: argparse.Namespace) -> int:
    """``frontline studio start``: start our server and say how to reach it."""
    note = _legacy_state_note(project)
    if note and not (project.state / "studio").exists():
        raise CommandError(note)
    server = service.start(project.state, port=args.port, postgres=args.postgres)
    creds = service.credentials(project.state)
    print(
        f"Label Studio is up at {server.url} (pid {server.pid}, data in "
        f"{project.state / 'studio'}, database: {server.backend})"
    )
    print(
        f"log in as {creds.username}; the password is ${service.ENV_PASSWORD} or in "
        f"{project.state / 'credentials.json'}"
    )
    print(f"the other commands reach it with: export {service.ENV_URL}={server.url}")
    return 0


def cmd_studio_stop(project: Project, args: argparse.Namespace) -> int:
    """``frontline studio stop``: stop the server ``studio start`` started."""
    server = service.stop(project.state)
    print(
        f"stopped Label Studio (pid {server.pid})"
        if server
        else "no Label Studio server of ours is running"
    )
    return 0


def cmd_studio_status(project: Project, args: argparse.Namespace) -> int:
    """``frontline studio status``: 0 if our server runs, 1 if not."""
    server = service.running(project.state)
    if server is None:
        print("no Label Studio server of ours is running")
        return 1
    print(
        f"{server.url} (pid {server.pid}, database: {server.backend}) is "
        f"{'up' if service.is_up(server.url) else 'not answering'}"
    )
    return 0


def cmd_studio_add_annotator(project: Project, args: argparse.Namespace) -> int:
    """``frontline studio add-annotator EMAIL``: an account that logs in, its password stored."""
    from frontline.studio import people

    url = _server_url(args)
    shown = client.redact(url)
    if not service.is_up(url):
        raise _not_answering(url)
    with _on_server(args, "studio add-annotator", "it is safe to run again"):
        account = people.add_annotator(
            url, service.api_token(project.state), project.state, args.email
        )
    who, where = f"annotator {account.email}", account.password_file
    if account.created:
        print(
            f"created {who} (user {account.user_id}) on {shown}: a member of the organization, "
            "and it logs in"
        )
        print(f"password written to {where} (mode 0600): hand it to the annotator privately")
    elif where.exists():
        print(
            f"{who} already has an account (user {account.user_id}) on {shown}; "
            f"its password is in {where}"
        )
    else:
        print(
            f"{who} already has an account (user {account.user_id}) on {shown}, made without "
            "`studio add-annotator` (by `annotate --annotator` or `restore`): its password was "
            f"never shown nor stored ({where} does not exist)"
        )
        return 0
    print(f"they log in at {shown.rstrip('/')}/user/login/ with {account.email} and that password")
    if args.show_password:
        print(f"password: {where.read_text(encoding='utf-8').strip()}")
    return 0


# --- tasks and pre-annotations ----------------------------------------------------------


def cmd_tasks(project: Project, args: argparse.Namespace) -> int:
    """``frontline tasks``: every article as a Label Studio task."""
    text = tasks_json(load_articles(project.seeds))
    if args.output == "-":
        sys.stdout.write(text)
    else:
        atomic_write(Path(args.output), text.encode("utf-8"))
        print(f"wrote {args.output}")
    return 0


def _predictor(project: Project, name: str | None, scheme: Scheme) -> client.Predict | None:
    """The pre-annotations ``push --predictions NAME`` attaches (None: none)."""
    if name in (None, "none"):
        return None
    if name != "lexicon":  # a trained baseline, or one with a relation model on top
        from frontline.studio import preannotate

        preannotate.check_name(name)
        return preannotate.for_push(
            name,
            project.corpus,
            project.baselines / "results.json",
            project.baselines / "configs" / "ner.cfg",
            scheme,
        )
    gold_path = project.gold_export
    if not gold_path.exists():
        raise CommandError(
            f"the lexicon model is built from the gold, and {gold_path} does not exist yet"
        )
    articles = load_articles(project.seeds)
    documents, _ = exports.gold_documents(exports.read_valid_export(gold_path, articles, scheme))
    lexicon = Lexicon(documents, scheme.entity_names)

    def predict(article: Article) -> tuple[str, list[dict]]:
        return lexicon.version, to_result(lexicon.predict(article.id, article.text))

    return predict


def cmd_push(project: Project, args: argparse.Namespace) -> int:
    """``frontline push``: the project, its config and the tasks it lacks."""
    client.check_title(args.project)
    scheme = load_scheme(project.scheme)
    articles = load_articles(project.seeds)
    predict = _predictor(project, args.predictions, scheme)
    url = _server_url(args)
    service.private_folder(project.state)  # the lock lives there: refuses a folder of another user
    running = f"another push to project {args.project!r} on {client.redact(url)} is running"
    with (
        exclusive(client.push_lock(project.state, url, args.project), running),
        _on_server(args, "push", "it resumes, importing only the articles that have no task yet"),
    ):
        report = client.push(
            _client(project, args),
            articles,
            scheme,
            title=args.project,
            predict=predict,
            batch_size=args.batch_size,
            force=args.force,
            progress=not args.quiet,
        )
    print(
        f"project {args.project!r} (id {report.project_id}): "
        f"{'created' if report.created else 'found'}, config "
        f"{'updated' if report.config_updated else 'unchanged'}, "
        f"{len(report.imported)} task(s) imported"
    )
    for doc_id in report.duplicates:
        print(f"warning: the project has more than one task for doc {doc_id}", file=sys.stderr)
    return 0


# --- review -----------------------------------------------------------------------------


def cmd_review(project: Project, args: argparse.Namespace) -> int:
    """``frontline review``: the tasks that lack a ground truth or disagree (reads only)."""
    from frontline.studio import review

    with _on_server(args, "review", "it only reads"):
        report = review.review(_client(project, args), args.project)
    print(json.dumps(report.as_json(), indent=2) if args.json else report.text())
    return 0


def cmd_accept(project: Project, args: argparse.Namespace) -> int:
    """``frontline accept TASK``: mark an annotation as the task's ground truth."""
    from frontline.studio import review

    with _on_server(args, "accept", "accepting again is harmless"):
        accepted = review.accept(_client(project, args), args.project, args.task, args.annotation)
    print(accepted.message())
    return 0


# --- annotations in and out -------------------------------------------------------------


def cmd_restore(project: Project, args: argparse.Namespace) -> int:
    """``frontline restore``: load the committed export into a project; adds what it lacks."""
    from frontline.studio import restore

    client.check_title(args.project)
    scheme = load_scheme(project.scheme)
    path = Path(args.export) if args.export else project.gold_export
    tasks = exports.read_valid_export(path, load_articles(project.seeds), scheme)
    url = _server_url(args)
    service.private_folder(project.state)  # the lock lives there, as push's does
    running = f"a push or restore to project {args.project!r} on {client.redact(url)} is running"
    with (
        exclusive(client.push_lock(project.state, url, args.project), running),
        _on_server(args, "restore", "it adds only what the project still lacks"),
    ):
        ls = _client(project, args)
        report = restore.restore(
            ls, tasks, scheme, title=args.project, force=args.force, progress=not args.quiet
        )
        check = restore.compare(tasks, client.pull(ls, args.project))
    _print_restored(args.project, path, report)
    _print_comparison(path, check)
    return 0


def _print_restored(title: str, path: Path, report: RestoreReport) -> None:
    """What ``restore`` added (standard output) and what it left as it was (warnings)."""
    print(
        f"project {title!r} (id {report.project_id}) "
        f"{'created' if report.project_created else 'found'}; from {path}: added "
        f"{report.tasks_created} task(s), {report.annotations_created} annotation(s), "
        f"{report.predictions_created} prediction(s); already there: {report.tasks_present} "
        f"task(s), {report.annotations_present} annotation(s), "
        f"{report.predictions_present} prediction(s)"
    )
    if report.accounts_created:
        print(
            f"created annotator account(s) {', '.join(report.accounts_created)}: their passwords "
            "are random, never shown nor stored (the accounts carry the authorship of the "
            "annotations)"
        )
    warnings = [
        *(
            f"doc {doc_id}: the project's task has other data than the export; left as it is"
            for doc_id in report.data_differs
        ),
        *(
            f"doc {doc_id}: the project's task has a ground truth of its own; kept it, and added "
            "the export's without the mark"
            for doc_id in report.gold_kept
        ),
        *(
            f"not restored (restore does not carry drafts or comments): {item}"
            for item in report.not_restored
        ),
    ]
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _print_comparison(path: Path, check: Comparison) -> None:
    """Whether the project now holds everything the export ``path`` holds (an error if not)."""
    if check.extra:
        print(
            f"note: the project also holds {len(check.extra)} thing(s) the export does not, "
            f"e.g. {check.extra[0]}"
        )
    if check.lost:
        raise CommandError(
            f"the project does not hold all of {path}:\n"
            + "\n".join(f"  - {x}" for x in check.lost)
        )
    changed = ", ".join(f"{name} ({n})" for name, n in sorted(check.fields.items()))
    clock_only = all(
        name.rsplit(".", 1)[-1] in ("created_at", "updated_at") for name in check.fields
    )
    if not changed:
        differs = ""
    elif clock_only:
        differs = (
            f"; it differs only in the times Label Studio gave it ({changed}), which "
            "`frontline pull` keeps as committed"
        )
    else:
        differs = f"; it differs in: {changed}"
    more = "; it holds more besides (see the note above)" if check.extra else ""
    print(f"the project holds everything {path} holds{differs}{more}")


def cmd_pull(project: Project, args: argparse.Namespace) -> int:
    """``frontline pull``: export the project, validate it and write the gold export."""
    scheme = load_scheme(project.scheme)
    articles = load_articles(project.seeds)
    with _on_server(args, "pull", "nothing was written"):
        tasks = client.pull(_client(project, args), args.project)
    problems = export_problems(tasks, {a.id: a for a in articles}, scheme)
    if problems:
        raise ExportInvalid(f"project {args.project!r}", problems)
    output = Path(args.output) if args.output else project.gold_export
    committed = exports.read_export(output) if output.exists() else None
    if committed is not None:  # keep the committed times of what is unchanged
        from frontline.studio import restore  # (a restored server's clock is new)

        tasks = restore.keep_committed_clock(tasks, committed)
    changed = exports.write_export(
        output,
        tasks,
        force=args.force,
        allow_empty=args.allow_empty,
        committed=committed,
        warn=lambda note: print(f"frontline: warning: {note}", file=sys.stderr),
    )
    total = sum(exports.annotation_counts(tasks).values())
    print(
        f"{'wrote' if changed else 'unchanged:'} {output}: {len(tasks)} task(s), "
        f"{total} annotation(s), {exports.gold_count(tasks)} ground truth(s)"
    )
    return 0


def cmd_annotate(project: Project, args: argparse.Namespace) -> int:
    """``frontline annotate SHEET...``: check every sheet, then save each as an annotation."""
    scheme = load_scheme(project.scheme)
    articles = {a.id: a for a in load_articles(project.seeds)}
    documents, problems = [], []
    for path in args.sheets:
        try:
            sheet = read_sheet(Path(path))
            if sheet.doc_id not in articles:
                raise CommandError(f"{path}: no article {sheet.doc_id!r}")
            documents.append(
                (path, sheet_document(sheet, articles[sheet.doc_id].text, scheme, path))
            )
        except SheetError as exc:
            problems += exc.problems
        except CommandError as exc:
            problems.append(str(exc))
    if problems:
        raise CommandError(
            f"{len(problems)} problem(s) in the sheets, nothing saved:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    if args.dry_run:
        for path, doc in documents:
            print(f"{path}: {len(doc.entities)} mention(s), {len(doc.relations)} relation(s), OK")
        return 0
    with _on_server(args, "annotate", "the sheets already saved are left unchanged"):
        save_sheets(_client(project, args), documents, args)
    return 0


def save_sheets(
    ls: client.LabelStudio, documents: Sequence[tuple[str, Document]], args: argparse.Namespace
) -> None:
    """Save each checked sheet's document as the annotator's annotation, one line per sheet."""
    found = client.find_project(ls, args.project)
    if found is None:
        raise CommandError(f"no project titled {args.project!r}: run `frontline push` first")
    user_id = client.annotator(ls, args.annotator, args.password or secrets.token_urlsafe(18))
    for _path, doc in tqdm(
        documents, desc="saving", unit="sheet", disable=args.quiet or len(documents) < 2
    ):
        task_id = client.task_of(ls, found.id, doc.doc_id)
        saved = client.annotate(ls, task_id, doc, user_id=user_id, ground_truth=args.ground_truth)
        note = (
            f"; ground truth taken from annotation(s) {list(saved.unmarked)}"
            if saved.unmarked
            else ""
        )
        print(
            f"doc {doc.doc_id} task {task_id}: annotation {saved.annotation_id} by "
            f"{args.annotator} {saved.action} ({len(doc.entities)} mentions, "
            f"{len(doc.relations)} relations{', ground truth' if args.ground_truth else ''}){note}"
        )
