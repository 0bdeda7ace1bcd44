"""The steps of ``frontline.gold``: validate the exports, measure and report the annotation."""

from __future__ import annotations

import argparse
from pathlib import Path

from frontline.cli.baselines import pinned_child
from frontline.core.articles import load_articles
from frontline.core.files import atomic_write
from frontline.core.paths import Project
from frontline.core.scheme import load_scheme
from frontline.errors import CommandError
from frontline.gold import agreement, exports, stats
from frontline.release.build import load_gold
from frontline.studio.sheets import read_sheet, sheet_document


def cmd_validate(project: Project, args: argparse.Namespace) -> int:
    """``frontline validate [FILE...]``: every problem of every export file."""
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


def cmd_agreement(project: Project, args: argparse.Namespace) -> int:
    """``frontline agreement``: the double-annotated articles -> annotation/agreement.md."""
    scheme = load_scheme(project.scheme)
    tasks = exports.read_valid_export(project.gold_export, load_articles(project.seeds), scheme)
    pairs = agreement.annotation_pairs(tasks)
    per_doc = {d: agreement.agreement(a, b, scheme.entity_names) for d, (a, b) in pairs.items()}
    notes_path = project.annotation / "agreement-notes.md"
    notes = notes_path.read_text(encoding="utf-8") if notes_path.exists() else ""
    text = agreement.report(per_doc, scheme.entity_names, notes)
    atomic_write(project.annotation / "agreement.md", text.encode("utf-8"))
    print(agreement.summary_of(text) or "no article has two annotations yet")
    print(f"wrote {project.annotation / 'agreement.md'}")
    return 0


def cmd_stats(project: Project, args: argparse.Namespace) -> int:
    """``frontline stats``: in a child with the pinned numerics (pre-annotation is measured)."""
    code = pinned_child(project, args.quiet, ["stats", *(["--verbose"] if args.verbose else [])])
    return _run_stats(project, args) if code is None else code


def _run_stats(project: Project, args: argparse.Namespace) -> int:
    """The gold report -> annotation/stats.md; prints it up to the relation labels."""
    from frontline.release.dataset import DATASET_VERSION
    from frontline.studio import preannotate

    gold = load_gold(project)
    lint = stats.read_lint_decisions(project.annotation / "lint")  # before the long part
    measured = preannotate.measure(
        gold.documents,
        gold.splits,
        gold.scheme,
        version=DATASET_VERSION,
        c=preannotate.tuned_c(project.baselines / "results.json"),
        ner_config=project.baselines / "configs" / "ner.cfg",
        log=(lambda m: None) if args.quiet else print,
    )
    section = preannotate.matches_table(
        measured, *stats.trained_and_held_out(gold.documents, gold.splits)
    )
    pushed = preannotate.pushed_matches(gold.tasks, gold.documents)
    if pushed:
        section += ["", *preannotate.pushed_table(pushed)]
    text = stats.gold_report(
        gold.documents, gold.splits, gold.scheme, preannotation=section, lint=lint
    )
    path = project.annotation / "stats.md"
    atomic_write(path, text.encode("utf-8"))
    print(text if args.verbose else text.split("## Relation label")[0].rstrip())
    print(f"wrote {path}")
    return 0


def cmd_compare(project: Project, args: argparse.Namespace) -> int:
    """``frontline compare A B``: the disagreements of two sheets of one article."""
    scheme = load_scheme(project.scheme)
    texts = {a.id: a.text for a in load_articles(project.seeds)}
    sheets = [read_sheet(Path(p)) for p in (args.a, args.b)]
    if sheets[0].doc_id != sheets[1].doc_id:
        raise CommandError(
            f"the sheets are of different articles: {sheets[0].doc_id}, {sheets[1].doc_id}"
        )
    a, b = (
        sheet_document(s, texts[s.doc_id], scheme, p)
        for s, p in zip(sheets, (args.a, args.b), strict=True)
    )
    lines = agreement.disagreements(a, b)
    print("\n".join(lines) if lines else "the two sheets agree")
    scores = agreement.agreement(a, b, scheme.entity_names)
    print(
        f"entities strict F1 {scores.entities_strict.f1}, "
        f"relations strict F1 {scores.relations_strict.f1}"
    )
    return 0
