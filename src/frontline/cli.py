"""The ``frontline`` command: one subcommand per step of the pipeline.

Run ``frontline --help`` for the list and ``frontline STEP --help`` for each step.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from frontline import __version__
from frontline.baselines.lexicon import Lexicon
from frontline.core.articles import (
    Article,
    ArticleError,
    add_articles,
    load_articles,
    read_jsonl,
    read_plain,
)
from frontline.core.documents import Document, to_result
from frontline.core.files import atomic_write, changed_files, snapshot
from frontline.core.labelconfig import label_config
from frontline.core.paths import ENV_STATE_DIR, Project, ProjectNotFound, find_project
from frontline.core.scheme import SchemeError, load_scheme
from frontline.core.text import parse, sentence_spans
from frontline.errors import FrontlineError
from frontline.eval.predictions import PredictionError, read_predictions, to_line
from frontline.gold import agreement, exports, stats
from frontline.gold.stats import count_article, summary_table
from frontline.gold.validate import ExportInvalid, export_problems
from frontline.release import formats
from frontline.release.build import build, load_gold
from frontline.release.dataset import AlignmentError
from frontline.studio import client, service
from frontline.studio.sheets import SheetError, read_sheet, sheet_document
from frontline.studio.tasks import tasks_json


class CommandError(FrontlineError):
    """A step failed for a reason the user can act on; printed without a traceback."""


Handler = Callable[[Project, argparse.Namespace], int]


# --- articles -------------------------------------------------------------------------


def cmd_articles_check(project: Project, args: argparse.Namespace) -> int:
    from frontline.core.articles import check_articles

    clean = getattr(args, "clean", False)  # also run as a step of reproduce, without --clean
    articles = check_articles(project.seeds, clean=clean, report=print)
    print(f"{len(articles)} articles OK: manifest, UTF-8 and sha256 checked ({project.seeds})")
    return 0


def cmd_articles_add(project: Project, args: argparse.Namespace) -> int:
    metadata = {
        k: v
        for k, v in vars(args).items()
        if k in ("id", "title", "date", "url", "license", "attribution", "source", "topic")
        and v is not None
    }
    new: list[Article] = []
    for path in map(Path, args.files):
        if path.suffix == ".jsonl":
            if metadata:
                raise CommandError(f"{path}: metadata options apply to plain text files only")
            new += read_jsonl(path)
        else:
            if len(args.files) > 1 and "id" in metadata:
                raise CommandError("--id can only be given with a single file")
            new.append(read_plain(path, **metadata))
    articles = add_articles(project.seeds, new, report=print)
    print(f"added {len(new)} article(s); {len(articles)} in {project.seeds}")
    return 0


def cmd_articles_stats(project: Project, args: argparse.Namespace) -> int:
    articles = load_articles(project.seeds)
    counts = [
        count_article(a)
        for a in tqdm(articles, desc="tokenizing", unit="article", disable=args.quiet)
    ]
    if args.json:
        print(json.dumps([asdict(c) for c in counts], indent=2))
    else:
        print(summary_table(counts))
    return 0


def cmd_sentences(project: Project, args: argparse.Namespace) -> int:
    articles = {a.id: a for a in load_articles(project.seeds)}
    if args.id not in articles:
        raise CommandError(f"no article {args.id!r} in {project.seeds}")
    text = articles[args.id].text
    for number, (start, end) in enumerate(sentence_spans(parse(text))):
        print(f"{number:>3} [{start}:{end}] {text[start:end]}")
    return 0


# --- scheme ---------------------------------------------------------------------------


def cmd_scheme_config(project: Project, args: argparse.Namespace) -> int:
    xml = label_config(load_scheme(project.scheme))
    current = (
        project.label_config.read_text(encoding="utf-8") if project.label_config.exists() else None
    )
    if args.check:
        if current != xml:
            raise CommandError(
                f"{project.label_config} is out of date: run `frontline scheme config`"
            )
        print(f"{project.label_config} is up to date")
    elif current != xml:
        project.label_config.write_text(xml, encoding="utf-8")
        print(f"wrote {project.label_config}")
    else:
        print(f"{project.label_config} unchanged")
    return 0


def cmd_scheme_show(project: Project, args: argparse.Namespace) -> int:
    scheme = load_scheme(project.scheme)
    print(f"scheme version {scheme.version}")
    print("entities:  " + " ".join(scheme.entity_names))
    print("relations: " + " ".join(scheme.relation_names))
    print("IOB2 tags: " + " ".join(scheme.iob2_tags()))
    return 0


# --- Label Studio ---------------------------------------------------------------------


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


def cmd_studio_start(project: Project, args: argparse.Namespace) -> int:
    note = _legacy_state_note(project)
    if note and not (project.state / "studio").exists():
        raise CommandError(note)
    server = service.start(project.state, port=args.port, postgres=args.postgres)
    creds = service.credentials(project.state)
    print(
        f"Label Studio is up at {server.url} (pid {server.pid}, data in {project.state / 'studio'}, "
        f"database: {server.backend})"
    )
    print(
        f"log in as {creds.username}; the password is ${service.ENV_PASSWORD} or in "
        f"{project.state / 'credentials.json'}"
    )
    print(f"the other commands reach it with: export {service.ENV_URL}={server.url}")
    return 0


def cmd_studio_stop(project: Project, args: argparse.Namespace) -> int:
    server = service.stop(project.state)
    print(
        f"stopped Label Studio (pid {server.pid})"
        if server
        else "no Label Studio server of ours is running"
    )
    return 0


def cmd_studio_status(project: Project, args: argparse.Namespace) -> int:
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
    from frontline.studio import people

    url = _server_url(args)
    shown = client.redact(url)
    if not service.is_up(url):
        raise CommandError(
            f"no Label Studio answers at {shown}: start one with `frontline studio start` "
            f"or pass --url / set {service.ENV_URL}"
        )
    with _on_server(args, "studio add-annotator", "it is safe to run again"):
        account = people.add_annotator(
            url, service.api_token(project.state), project.state, args.email
        )
    where = account.password_file
    if account.created:
        print(
            f"created annotator {account.email} (user {account.user_id}) on {shown}: a member of the "
            "organization, and it logs in"
        )
        print(f"password written to {where} (mode 0600): hand it to the annotator privately")
    elif where.exists():
        print(
            f"annotator {account.email} already has an account (user {account.user_id}) on {shown}; "
            f"its password is in {where}"
        )
    else:
        print(
            f"annotator {account.email} already has an account (user {account.user_id}) on {shown}, made "
            f"without `studio add-annotator` (by `annotate --annotator` or `restore`): its password was never "
            f"shown nor stored ({where} does not exist)"
        )
        return 0
    print(f"they log in at {shown.rstrip('/')}/user/login/ with {account.email} and that password")
    if args.show_password:
        print(f"password: {where.read_text(encoding='utf-8').strip()}")
    return 0


def cmd_tasks(project: Project, args: argparse.Namespace) -> int:
    text = tasks_json(load_articles(project.seeds))
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    return 0


def _server_url(args: argparse.Namespace) -> str:
    """The server the command talks to: --url, else $FRONTLINE_LS_URL, else the default port."""
    return args.url or os.environ.get(service.ENV_URL) or f"http://127.0.0.1:{service.DEFAULT_PORT}"


def _client(project: Project, args: argparse.Namespace) -> client.LabelStudio:
    url = _server_url(args)
    if not service.is_up(url):
        raise CommandError(
            f"no Label Studio answers at {client.redact(url)}: start one with "
            "`frontline studio start` "
            f"or pass --url / set {service.ENV_URL}"
        )
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


def _predictor(project: Project, name: str | None, scheme) -> client.Predict | None:
    if name in (None, "none"):
        return None
    if (
        name != "lexicon"
    ):  # a trained baseline (or one with a relation model on top): frontline.studio.preannotate
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

    def predict(article: Article):
        return lexicon.version, to_result(lexicon.predict(article.id, article.text))

    return predict


def cmd_push(project: Project, args: argparse.Namespace) -> int:
    from frontline.core.locks import exclusive

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
        f"{'updated' if report.config_updated else 'unchanged'}, {len(report.imported)} task(s) imported"
    )
    for doc_id in report.duplicates:
        print(f"warning: the project has more than one task for doc {doc_id}", file=sys.stderr)
    return 0


def cmd_review(project: Project, args: argparse.Namespace) -> int:
    from frontline.studio import review

    with _on_server(args, "review", "it only reads"):
        report = review.review(_client(project, args), args.project)
    print(json.dumps(report.as_json(), indent=2) if args.json else report.text())
    return 0


def cmd_accept(project: Project, args: argparse.Namespace) -> int:
    from frontline.studio import review

    with _on_server(args, "accept", "accepting again is harmless"):
        accepted = review.accept(_client(project, args), args.project, args.task, args.annotation)
    print(accepted.message())
    return 0


def cmd_restore(project: Project, args: argparse.Namespace) -> int:
    from frontline.core.locks import exclusive
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
    print(
        f"project {args.project!r} (id {report.project_id}) {'created' if report.project_created else 'found'}; "
        f"from {path}: added {report.tasks_created} task(s), {report.annotations_created} annotation(s), "
        f"{report.predictions_created} prediction(s); already there: {report.tasks_present} task(s), "
        f"{report.annotations_present} annotation(s), {report.predictions_present} prediction(s)"
    )
    if report.accounts_created:
        print(
            f"created annotator account(s) {', '.join(report.accounts_created)}: their passwords are random, "
            "never shown nor stored (the accounts carry the authorship of the annotations)"
        )
    for doc_id in report.data_differs:
        print(
            f"warning: doc {doc_id}: the project's task has other data than the export; left as it is",
            file=sys.stderr,
        )
    for doc_id in report.gold_kept:
        print(
            f"warning: doc {doc_id}: the project's task has a ground truth of its own; kept it, and added the "
            "export's without the mark",
            file=sys.stderr,
        )
    for item in report.not_restored:
        print(
            f"warning: not restored (restore does not carry drafts or comments): {item}",
            file=sys.stderr,
        )
    if check.extra:
        print(
            f"note: the project also holds {len(check.extra)} thing(s) the export does not, e.g. {check.extra[0]}"
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
    print(
        f"the project holds everything {path} holds"
        + (
            ""
            if not changed
            else f"; it differs only in the times Label Studio gave it ({changed}), which "
            "`frontline pull` keeps as committed"
            if clock_only
            else f"; it differs in: {changed}"
        )
        + ("; it holds more besides (see the note above)" if check.extra else "")
    )
    return 0


def cmd_pull(project: Project, args: argparse.Namespace) -> int:
    scheme = load_scheme(project.scheme)
    articles = load_articles(project.seeds)
    with _on_server(args, "pull", "nothing was written"):
        tasks = client.pull(_client(project, args), args.project)
    problems = export_problems(tasks, {a.id: a for a in articles}, scheme)
    if problems:
        raise ExportInvalid(f"project {args.project!r}", problems)
    output = Path(args.output) if args.output else project.gold_export
    committed = exports.read_export(output) if output.exists() else None
    if (
        committed is not None
    ):  # keep the committed times of what is unchanged (a restored server's clock is new)
        from frontline.studio import restore

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
        f"{'wrote' if changed else 'unchanged:'} {output}: {len(tasks)} task(s), {total} annotation(s), "
        f"{exports.gold_count(tasks)} ground truth(s)"
    )
    return 0


def cmd_validate(project: Project, args: argparse.Namespace) -> int:
    scheme = load_scheme(project.scheme)
    articles = {a.id: a for a in load_articles(project.seeds)}
    paths = [Path(p) for p in args.files] or sorted(project.exports.glob("*.json"))
    if not paths:
        raise CommandError(f"no export files given and none in {project.exports}")
    problems = []
    for path in paths:  # streamed as build reads it, never whole in memory
        try:
            checked = exports.check_export(
                path, articles, scheme, gold=path.resolve() == project.gold_export.resolve()
            )
        except exports.ExportError as exc:
            problems.append(str(exc))
            continue
        problems += checked.problems
        if not checked.problems:
            print(f"{path}: {checked.tasks} task(s) OK")
    if problems:
        raise CommandError(
            f"{len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return 0


def cmd_annotate(project: Project, args: argparse.Namespace) -> int:
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
    for path, doc in tqdm(
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
            f"doc {doc.doc_id} task {task_id}: annotation {saved.annotation_id} by {args.annotator} "
            f"{saved.action} ({len(doc.entities)} mentions, {len(doc.relations)} relations"
            f"{', ground truth' if args.ground_truth else ''}){note}"
        )


# --- the dataset ----------------------------------------------------------------------


def cmd_build(project: Project, args: argparse.Namespace) -> int:
    output = Path(args.output) if args.output else project.corpus
    report = build(project, output, num_proc=args.num_proc, progress=not args.quiet)
    for doc_id in report.missing:
        print(f"not released (no gold yet): {doc_id}", file=sys.stderr)
    summary = ", ".join(f"{config} {sum(n.values())} rows" for config, n in report.counts.items())
    print(
        f"built {output}: {len(report.released)} article(s) released, {len(report.missing)} without gold; {summary}"
    )
    return 0


def cmd_export(project: Project, args: argparse.Namespace) -> int:
    gold = load_gold(project)
    by_split: dict[str, list] = {}
    for doc in gold.documents:
        by_split.setdefault(gold.splits[doc.doc_id], []).append(doc)
    written = formats.export(args.format, Path(args.output), by_split, gold.scheme)
    for path in written:
        print(f"wrote {path}")
    if args.format == "conll":
        print(
            "note: CoNLL IOB holds entities only; relations are not in this format "
            "(use --format spacy or brat, or the dataset's relations config)"
        )
    return 0


def cmd_publish(project: Project, args: argparse.Namespace) -> int:
    from frontline.release.publish import check_repo_id, publish, publishable_files

    files = publishable_files(project.corpus)
    check_repo_id(args.repo_id)
    if args.dry_run:
        print("would upload: " + ", ".join(files))
        return 0
    print(publish(project.corpus, args.repo_id, private=args.private))
    return 0


# --- annotation quality ---------------------------------------------------------------


def cmd_agreement(project: Project, args: argparse.Namespace) -> int:
    scheme = load_scheme(project.scheme)
    tasks = exports.read_valid_export(project.gold_export, load_articles(project.seeds), scheme)
    pairs = agreement.annotation_pairs(tasks)
    per_doc = {d: agreement.agreement(a, b, scheme.entity_names) for d, (a, b) in pairs.items()}
    notes_path = project.annotation / "agreement-notes.md"
    notes = notes_path.read_text(encoding="utf-8") if notes_path.exists() else ""
    text = agreement.report(per_doc, scheme.entity_names, notes)
    (project.annotation / "agreement.md").write_text(text, encoding="utf-8")
    print(agreement.summary_of(text) or "no article has two annotations yet")
    print(f"wrote {project.annotation / 'agreement.md'}")
    return 0


def cmd_stats(project: Project, args: argparse.Namespace) -> int:
    code = _pinned_child(project, args, ["stats", *(["--verbose"] if args.verbose else [])])
    return _run_stats(project, args) if code is None else code


def _run_stats(project: Project, args: argparse.Namespace) -> int:
    from frontline.release.dataset import DATASET_VERSION
    from frontline.studio import preannotate

    gold = load_gold(project)
    measured = preannotate.measure(
        gold.documents,
        gold.splits,
        gold.scheme,
        version=DATASET_VERSION,
        c=preannotate.tuned_c(project.baselines / "results.json"),
        ner_config=project.baselines / "configs" / "ner.cfg",
        log=(lambda m: None) if getattr(args, "quiet", False) else print,
    )
    text = stats.gold_report(gold.documents, gold.splits, gold.scheme, preannotation=measured)
    path = project.annotation / "stats.md"
    path.write_text(text, encoding="utf-8")
    print(text if args.verbose else text.split("## Relation label")[0].rstrip())
    print(f"wrote {path}")
    return 0


def cmd_compare(project: Project, args: argparse.Namespace) -> int:
    scheme = load_scheme(project.scheme)
    texts = {a.id: a.text for a in load_articles(project.seeds)}
    sheets = [read_sheet(Path(p)) for p in (args.a, args.b)]
    if sheets[0].doc_id != sheets[1].doc_id:
        raise CommandError(
            f"the sheets are of different articles: {sheets[0].doc_id}, {sheets[1].doc_id}"
        )
    a, b = (sheet_document(s, texts[s.doc_id], scheme, p) for s, p in zip(sheets, (args.a, args.b)))
    lines = agreement.disagreements(a, b)
    print("\n".join(lines) if lines else "the two sheets agree")
    scores = agreement.agreement(a, b, scheme.entity_names)
    print(
        f"entities strict F1 {scores.entities_strict.f1}, relations strict F1 {scores.relations_strict.f1}"
    )
    return 0


# --- baselines ------------------------------------------------------------------------


def _pinned_child(project: Project, args: argparse.Namespace, step: Sequence[str]) -> int | None:
    """Run ``frontline STEP`` in a child with the pinned numerical environment (its settings are
    read when the libraries load) and return its exit status; None when this process has it
    already (or ``FRONTLINE_NUMERICS=as-is`` asks for the machine's own)."""
    from frontline.baselines import numerics

    if os.environ.get(numerics.MARKER) == "as-is" or numerics.is_pinned():
        return None
    try:
        numerics.check_cpu()
    except numerics.NumericsError as exc:
        raise CommandError(str(exc)) from None
    argv = [
        sys.executable,
        "-m",
        "frontline",
        "--root",
        str(project.root),
        *(["-q"] if args.quiet else []),
        *step,
    ]
    return subprocess.run(argv, env=numerics.pinned_environment(), check=False).returncode


def cmd_baselines(project: Project, args: argparse.Namespace) -> int:
    code = _pinned_child(project, args, ["baselines"])
    return _run_baselines(project, args) if code is None else code


def _run_baselines(project: Project, args: argparse.Namespace) -> int:
    from frontline.baselines import numerics, suite
    from frontline.baselines import report as results_mod
    from frontline.release.dataset import DATASET_VERSION

    started = time.perf_counter()
    scheme = load_scheme(project.scheme)
    data = suite.load_data(project.corpus, scheme)
    if not (data.train and data.validation and data.test):
        raise CommandError(
            f"{project.corpus} needs train, validation and test articles with gold "
            f"(has {len(data.train)}, {len(data.validation)}, {len(data.test)})"
        )
    log = (lambda message: None) if args.quiet else (lambda message: print(message, flush=True))
    config = project.baselines / "configs" / "ner.cfg"
    found, predictions = suite.run(data, scheme, config, log)
    found["cross_validation"] = suite.cross_validation(data, scheme, log, found["tuning"])
    found["seeds"] = suite.seed_spread(data, scheme, config, found, log)
    found["bootstrap"] = {"resamples": suite.N_BOOTSTRAP, "level": 0.95, "seed": suite.SEED}
    found["model_selection"] = suite.SELECTION_RULE
    found["rare_labels"] = suite.rare_labels(data, scheme)
    found["reproducibility"] = suite.reproducibility(
        project.baselines / "spread.json", data.checksum
    )
    found["run"] = {
        "dataset_sha256": data.checksum,
        "dataset_version": DATASET_VERSION,
        "seed": suite.SEED,
        "packages": suite.package_versions(),
        "n_train_documents": len(data.train),
        "n_validation_documents": len(data.validation),
        "n_test_documents": len(data.test),
    }
    found["platform"] = numerics.platform_record()
    path = project.baselines / "results.json"
    found, verdict = suite.against_recorded(found, path)
    atomic_write(path, suite.results_json(found).encode("utf-8"))
    atomic_write(
        project.baselines / "RESULTS.md", results_mod.results_markdown(found).encode("utf-8")
    )
    readme = project.root / "README.md"
    block = results_mod.table(found)
    readme.write_text(
        results_mod.splice(readme.read_text(encoding="utf-8"), block), encoding="utf-8"
    )
    written = results_mod.write_error_analysis(
        project.baselines / "errors", data.test, predictions, scheme.entity_names
    )
    write_predictions(project.baselines / "predictions", predictions)
    print(block)
    print(
        f"wrote {path}, {project.baselines / 'RESULTS.md'}, the README table, "
        f"{len(written)} error-analysis files in {project.baselines / 'errors'}, the test predictions in "
        f"{project.baselines / 'predictions'}; total {time.perf_counter() - started:.0f} s"
    )
    print(verdict)
    return 0


def write_predictions(folder: Path, predictions: dict[str, list]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, docs in predictions.items():
        lines = [json.dumps(to_line(d)) for d in docs]
        (folder / f"{name.replace('@', '.')}.jsonl").write_text(
            "\n".join(lines) + "\n", encoding="utf-8"
        )


def cmd_evaluate(project: Project, args: argparse.Namespace) -> int:
    from frontline.baselines import suite
    from frontline.errors import capped
    from frontline.eval import bootstrap
    from frontline.eval.predictions import MAX_LISTED, summary_text

    scheme = load_scheme(project.scheme)
    data = suite.load_data(project.corpus, scheme)
    gold = {d.doc_id: d for d in getattr(data, args.split)}
    if not gold:
        raise CommandError(f"{project.corpus} has no documents in the {args.split} split")
    elsewhere = {
        d.doc_id: name
        for name in ("train", "validation", "test")
        if name != args.split
        for d in getattr(data, name)
    }
    path = Path(args.predictions)
    try:
        predicted = read_predictions(path, gold, scheme, args.split, elsewhere)
    except PredictionError as exc:  # listed here, not by main(): at most MAX_LISTED of them
        problems = exc.problems
        if len(problems) == 1:
            print(f"frontline: error: {problems[0]}", file=sys.stderr)
        else:
            listed = capped(problems, MAX_LISTED)
            print(
                f"frontline: error: {len(problems)} problems:",
                *(f"  - {p}" for p in listed[:MAX_LISTED]),
                *(f"  {p}" for p in listed[MAX_LISTED:]),
                sep="\n",
                file=sys.stderr,
            )
        return 1
    ids = sorted(gold)
    per_doc = suite.score([gold[i] for i in ids], [predicted[i] for i in ids], scheme)
    samples = bootstrap.resamples(len(ids), suite.N_BOOTSTRAP, suite.SEED)
    summary = {
        "entities": suite.entity_summary(per_doc, scheme, samples),
        "relations": suite.relation_summary(per_doc, scheme, samples),
    }
    if args.json:
        print(json.dumps(summary, indent=2, sort_keys=True))
    else:
        print(
            f"{path.name} on the {args.split} split ({len(ids)} documents; "
            f"95% CI: {suite.N_BOOTSTRAP} bootstrap resamples of the documents)"
        )
        print(summary_text(summary))
        print("(per-label F1, relation counts: --json)")
    return 0


# --- the main job ---------------------------------------------------------------------

RELEASED = [
    "annotation/label_config.xml",
    "corpus",
    "baselines/results.json",
    "baselines/RESULTS.md",
    "baselines/predictions",
    "README.md",
]


def cmd_reproduce(project: Project, args: argparse.Namespace) -> int:
    """Every step of the release, in order; then say whether the committed files came back."""
    args.check, args.json, args.output, args.num_proc = True, False, None, 1
    before = snapshot(project.root, RELEASED)
    # the card shows the baseline table: build again once the baselines have run (the parquet
    # files, and so the dataset checksum the baselines record, do not change)
    for step in (
        cmd_articles_check,
        cmd_scheme_config,
        cmd_articles_stats,
        cmd_build,
        cmd_baselines,
        cmd_build,
    ):
        code = step(project, args)
        if code:
            return code
    changed = changed_files(before, snapshot(project.root, RELEASED))
    if changed:
        print(
            f"reproduce: CHANGED: {len(changed)} released file(s) differ from what was there before "
            f"(see git diff): " + ", ".join(changed)
        )
    else:
        print(
            f"reproduce: REPRODUCED: every released file ({len(before)} under {', '.join(RELEASED)}) "
            "is byte-identical to what was there before"
        )
    return 0


# --- parser ---------------------------------------------------------------------------


def _positive(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {value!r}")
    return int(value)


def _add(
    sub: argparse._SubParsersAction, name: str, handler: Handler, help: str, example: str
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        name,
        help=help,
        description=help,
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=handler)
    return parser


def _group(steps: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    """A step with actions of its own (``frontline articles check``)."""
    parser = steps.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".")
    return parser.add_subparsers(title="actions", metavar="ACTION", required=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="frontline",
        description="Frontline: annotated corpus of armed-conflict news (entities and relations).",
        epilog="example:\n  frontline reproduce      # check, build and score everything",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"frontline {__version__}")
    parser.add_argument(
        "--root",
        help="the Frontline checkout (default: $FRONTLINE_ROOT or "
        "the nearest folder above the working directory with annotation/scheme.toml)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    steps = parser.add_subparsers(title="steps", metavar="STEP", required=True)

    articles_steps = _group(steps, "articles", "check, add and count the articles in seeds/")
    _add(
        articles_steps,
        "check",
        cmd_articles_check,
        "verify the manifest, every text's UTF-8 and sha256, ids and duplicates; complete or "
        "roll back an add that was interrupted",
        "frontline articles check",
    ).add_argument(
        "--clean",
        action="store_true",
        help="also remove files in seeds/texts/ that manifest.json does not list (.tmp files "
        "included) and .tmp files in seeds/, as a killed add of an older version left them; "
        "never a listed text; each file removed is named",
    )
    add = _add(
        articles_steps,
        "add",
        cmd_articles_add,
        "add articles from plain text files or JSONL (one object per line with 'text' "
        "and metadata); refused if an id or text is already there; all-or-nothing",
        "frontline articles add report.txt --title 'Rebels take town' --date 2024-12-01 "
        "--url https://example.org/r --license 'CC BY 4.0'",
    )
    add.add_argument("files", nargs="+", metavar="FILE", help=".txt (plain) or .jsonl files")
    for name in ("id", "title", "date", "url", "license", "attribution", "source", "topic"):
        add.add_argument(f"--{name}", help=f"{name} of a plain text article")
    _add(
        articles_steps,
        "stats",
        cmd_articles_stats,
        "print corpus statistics: articles, sentences, tokens, by licence and year",
        "frontline articles stats --json",
    ).add_argument("--json", action="store_true", help="per-article counts as JSON")

    sentences = _add(
        steps,
        "sentences",
        cmd_sentences,
        "print an article's sentences with their character spans (end exclusive)",
        "frontline sentences 000_2deeeecf94034bb2",
    )
    sentences.add_argument("id", help="article id")

    scheme_steps = _group(steps, "scheme", "the annotation scheme and what derives from it")
    _add(
        scheme_steps,
        "config",
        cmd_scheme_config,
        "write annotation/label_config.xml from annotation/scheme.toml",
        "frontline scheme config --check",
    ).add_argument(
        "--check", action="store_true", help="fail if the committed config is out of date"
    )
    _add(
        scheme_steps, "show", cmd_scheme_show, "print labels and IOB2 tags", "frontline scheme show"
    )

    studio_steps = _group(steps, "studio", "a local Label Studio server (SQLite, 127.0.0.1)")
    studio_start = _add(
        studio_steps,
        "start",
        cmd_studio_start,
        "start Label Studio, create the admin user and token, wait until it answers; its data "
        f"and token live outside the checkout (${ENV_STATE_DIR}, else "
        "${XDG_STATE_HOME:-~/.local/state}/frontline/CHECKOUT-HASH)",
        "frontline studio start --port 8080",
    )
    studio_start.add_argument(
        "--port",
        type=int,
        default=service.DEFAULT_PORT,
        help="port on 127.0.0.1 (default %(default)s)",
    )
    studio_start.add_argument(
        "--postgres",
        metavar="URL",
        help="keep the data in this PostgreSQL database instead of SQLite: "
        "postgresql://USER:PASSWORD@HOST:PORT/DATABASE (default "
        f"${service.ENV_POSTGRES}); it must answer first",
    )
    _add(
        studio_steps,
        "stop",
        cmd_studio_stop,
        "stop the server `studio start` started",
        "frontline studio stop",
    )
    _add(
        studio_steps,
        "status",
        cmd_studio_status,
        "say whether our server runs and answers",
        "frontline studio status",
    )
    add_annotator = _add(
        studio_steps,
        "add-annotator",
        cmd_studio_add_annotator,
        "create an annotator's account that logs in to the browser, with a generated password written once to "
        "STATE/annotators/EMAIL.password (mode 0600) and never printed unless asked; an existing account is "
        "left as it is",
        "frontline studio add-annotator ann@example.org",
    )
    add_annotator.add_argument("email", metavar="EMAIL", help="the annotator's email (their login)")
    add_annotator.add_argument(
        "--url",
        help=f"Label Studio URL (default ${service.ENV_URL} or "
        f"http://127.0.0.1:{service.DEFAULT_PORT}); the token comes from ${service.ENV_TOKEN} "
        "or the local server's credentials file",
    )
    add_annotator.add_argument(
        "--show-password", action="store_true", help="also print the password once to the terminal"
    )

    tasks = _add(
        steps,
        "tasks",
        cmd_tasks,
        "write every article as a Label Studio task (stable JSON)",
        "frontline tasks -o tasks.json",
    )
    tasks.add_argument("-o", "--output", default="-", help="output file (default: standard output)")

    def server_options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--url",
            help=f"Label Studio URL (default ${service.ENV_URL} or "
            f"http://127.0.0.1:{service.DEFAULT_PORT}); the token comes from "
            f"${service.ENV_TOKEN} or the local server's credentials file "
            f"(in the state folder outside the checkout: ${ENV_STATE_DIR} or "
            "~/.local/state/frontline/)",
        )
        parser.add_argument(
            "--project", default=client.DEFAULT_TITLE, help="project title (default %(default)r)"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="go ahead even if annotations would be orphaned or lost",
        )

    push = _add(
        steps,
        "push",
        cmd_push,
        "create or update the Label Studio project and import the articles it lacks",
        "frontline push --predictions lexicon",
    )
    server_options(push)
    push.add_argument(
        "--predictions",
        metavar="MODEL",
        help="attach pre-annotations: none, lexicon (built from the whole committed gold), or a "
        "baseline trained on the train split of corpus/ when push runs (spacy-ner: about a "
        "minute): sklearn-ner, spacy-ner, or ENTITY+sklearn-relations / "
        "ENTITY+type-pair-prior, e.g. spacy-ner+sklearn-relations",
    )
    push.add_argument(
        "--batch-size",
        type=_positive,
        default=client.BATCH_SIZE,
        metavar="N",
        help="tasks per import request (default %(default)s)",
    )

    pull = _add(
        steps,
        "pull",
        cmd_pull,
        "export the project (full JSON), validate it and write annotation/exports/",
        "frontline pull",
    )
    server_options(pull)
    pull.add_argument(
        "-o", "--output", help="export file (default annotation/exports/frontline-gold.json)"
    )
    pull.add_argument(
        "--allow-empty",
        action="store_true",
        help="with --force: write the export even if it has no ground truth left where the "
        "committed one has some",
    )

    restore_step = _add(
        steps,
        "restore",
        cmd_restore,
        "load the committed export into a Label Studio project (a fresh server, a new "
        "machine): tasks, every annotator's annotations with their authors (accounts created "
        "as needed), ground truth and predictions; adds only what the project lacks",
        "frontline restore --url http://127.0.0.1:8080",
    )
    server_options(restore_step)
    restore_step.add_argument(
        "--export",
        metavar="FILE",
        help="export to load (default annotation/exports/frontline-gold.json)",
    )

    review_parser = _add(
        steps,
        "review",
        cmd_review,
        "list the tasks whose annotations lack a ground truth (or have several) and those "
        "whose annotations disagree, with their annotators (reads only)",
        "frontline review --json",
    )
    review_parser.add_argument(
        "--url",
        help=f"Label Studio URL (default ${service.ENV_URL} or "
        f"http://127.0.0.1:{service.DEFAULT_PORT}); the token comes from "
        f"${service.ENV_TOKEN} or the local server's credentials file",
    )
    review_parser.add_argument(
        "--project", default=client.DEFAULT_TITLE, help="project title (default %(default)r)"
    )
    review_parser.add_argument("--json", action="store_true", help="the lists as JSON")
    accept = _add(
        steps,
        "accept",
        cmd_accept,
        "mark an annotation of a task as its ground truth (the gold the build releases) and take the "
        "mark from the task's other annotations; a cancelled annotation is refused",
        "frontline accept 000_2deeeecf94034bb2 --annotation 42",
    )
    accept.add_argument("task", metavar="TASK", help="a task id or a doc id")
    accept.add_argument(
        "--annotation",
        type=_positive,
        metavar="ID",
        help="the annotation id (required when the task has several annotations)",
    )
    accept.add_argument(
        "--url",
        help=f"Label Studio URL (default ${service.ENV_URL} or "
        f"http://127.0.0.1:{service.DEFAULT_PORT}); the token comes from ${service.ENV_TOKEN} "
        "or the local server's credentials file",
    )
    accept.add_argument(
        "--project", default=client.DEFAULT_TITLE, help="project title (default %(default)r)"
    )

    validate = _add(
        steps,
        "validate",
        cmd_validate,
        "check export files against the articles and the scheme; list every problem",
        "frontline validate annotation/exports/frontline-gold.json",
    )
    validate.add_argument(
        "files", nargs="*", metavar="FILE", help="export files (default: annotation/exports/*.json)"
    )

    annotate = _add(
        steps,
        "annotate",
        cmd_annotate,
        "save an annotation sheet (see frontline.studio.sheets) as an annotator's annotation",
        "frontline annotate seed.sheet --annotator annotator-1@frontline.local --ground-truth",
    )
    server_options(annotate)
    annotate.add_argument(
        "sheets", nargs="+", metavar="SHEET", help="sheet files (all are checked first)"
    )
    annotate.add_argument(
        "--annotator",
        default="annotator-1@frontline.local",
        help="annotator account (e-mail); created if missing (default %(default)s)",
    )
    annotate.add_argument(
        "--password", help="password for a new annotator account (default: random)"
    )
    annotate.add_argument(
        "--ground-truth", action="store_true", help="mark it as the adjudicated gold"
    )
    annotate.add_argument(
        "--dry-run", action="store_true", help="only check the sheet against the article"
    )

    build_parser_ = _add(
        steps,
        "build",
        cmd_build,
        "validate the gold export and write the Hugging Face dataset to corpus/",
        "frontline build",
    )
    build_parser_.add_argument(
        "-o",
        "--output",
        help="output folder (default corpus/), replaced whole: it must be new, empty "
        "or an earlier build output (marked by its .frontline-build file)",
    )
    build_parser_.add_argument(
        "--num-proc",
        type=_positive,
        default=1,
        metavar="N",
        help="worker processes that validate tasks and make rows (default 1; "
        "the output is the same)",
    )
    export = _add(
        steps,
        "export",
        cmd_export,
        "write the gold as spaCy DocBin, brat standoff or CoNLL IOB",
        "frontline export --format brat -o exports/brat",
    )
    export.add_argument("--format", required=True, choices=formats.FORMATS)
    export.add_argument("-o", "--output", required=True, help="output folder")
    publish = _add(
        steps,
        "publish",
        cmd_publish,
        "push corpus/ to the Hugging Face Hub (token: $HF_TOKEN)",
        "frontline publish --repo-id my-org/frontline",
    )
    publish.add_argument("--repo-id", required=True, help="ORG/NAME of the dataset repository")
    publish.add_argument("--private", action="store_true", help="create the repository as private")
    publish.add_argument(
        "--dry-run", action="store_true", help="check and list the files, upload nothing"
    )

    _add(
        steps,
        "agreement",
        cmd_agreement,
        "inter-annotator agreement of the double-annotated articles -> annotation/agreement.md",
        "frontline agreement",
    )
    _add(
        steps,
        "stats",
        cmd_stats,
        "gold statistics per label, article and split, and the consistency lint -> annotation/stats.md",
        "frontline stats --verbose",
    ).add_argument("--verbose", action="store_true", help="print the whole report")
    compare = _add(
        steps,
        "compare",
        cmd_compare,
        "list the disagreements between two annotation sheets",
        "frontline compare annotation/sheets/X.sheet annotation/sheets-blind/X.sheet",
    )
    compare.add_argument("a", help="sheet of annotator A")
    compare.add_argument("b", help="sheet of annotator B")

    _add(
        steps,
        "baselines",
        cmd_baselines,
        "train, tune and score every baseline; write baselines/results.json, RESULTS.md and the README table",
        "frontline baselines",
    )
    evaluate = _add(
        steps,
        "evaluate",
        cmd_evaluate,
        "score a predictions file (JSONL: id, entities, relations) against the gold, with CIs",
        "frontline evaluate baselines/predictions/spacy-ner.jsonl --split test",
    )
    evaluate.description = (
        "Score a predictions file against the gold of one split of the built dataset (corpus/).\n\n"
        "One JSON line per document of the split:\n"
        '  {"id": ..., "entities": [{"start": 0, "end": 6, "label": "GROUP"}],\n'
        '   "relations": [{"head": 0, "tail": 1, "label": "ATTACKS"}]}\n'
        "Offsets are characters of the text, end exclusive; head and tail index the line's\n"
        'entities. "entities" and "relations" are required (use [] for none). A label is a\n'
        "name of the scheme or its integer ClassLabel id, as datasets.load_dataset gives it\n"
        "(0 = the first label of annotation/scheme.toml). Lines end at \\n only (a raw\n"
        "U+2028 inside a string is part of the string).\n\n"
        "A file with any problem is refused and nothing is scored: the problems are listed\n"
        "(at most 50, then how many more) with file:line and document id: not JSON, not an\n"
        "object, a key twice in an object, an id not of the split (a file of another split is\n"
        "named as such), a document twice or missing, an offset out of the text, an unknown\n"
        "label or label id, a mention twice, a relation of a mention with itself.\n\n"
        "Prints P/R/F1 (entities: strict, exact, partial, type; relations: strict, boundaries)\n"
        "with bootstrap 95% CIs of F1; --json prints the whole record (per-label F1, counts)."
    )
    evaluate.add_argument("predictions", help="the JSON Lines file of predictions (format above)")
    evaluate.add_argument(
        "--split",
        default="test",
        choices=("train", "validation", "test"),
        help="the split the file predicts (default: test)",
    )
    evaluate.add_argument(
        "--json", action="store_true", help="print the whole scoring record as JSON"
    )

    _add(
        steps,
        "reproduce",
        cmd_reproduce,
        "the main job: check articles and label config, build the dataset, reproduce the baselines",
        "frontline reproduce",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(find_project(args.root), args)
    except (
        FrontlineError,
        ArticleError,
        CommandError,
        ExportInvalid,
        exports.ExportError,
        client.SyncError,
        ProjectNotFound,
        SchemeError,
        SheetError,
        service.StudioError,
        AlignmentError,
        PredictionError,
    ) as exc:
        problems = getattr(exc, "problems", [str(exc)])
        print(
            f"frontline: error: {problems[0]}"
            if len(problems) == 1
            else f"frontline: error: {len(problems)} problems:\n"
            + "\n".join(f"  - {p}" for p in problems),
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
