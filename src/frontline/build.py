"""``frontline build``: the committed gold export -> the released dataset in ``corpus/``.

The export is read one task at a time (never whole in memory) and validated as it is
read; the one ``ground_truth`` annotation of each task is the gold, and its rows are
streamed to Arrow files in a staging folder. Articles without gold are reported and left
out. Any problem (invalid export, more than one gold annotation, a mention off token
boundaries) stops the build with the full list once the whole export has been read, and
the staging folder is thrown away: ``corpus/`` is replaced only when everything
succeeded. Rebuilding from the same inputs gives byte-identical files.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datasets import Dataset
from tqdm import tqdm

from frontline import card
from frontline.agreement import annotator_of, summary_of
from frontline.articles import Article, load_articles
from frontline.dataset import CONFIGS, AlignmentError, Rows, article_rows, assign_splits, features
from frontline.documents import Document
from frontline.exports import ExportError, gold_documents, iter_export, read_valid_export
from frontline.paths import Project
from frontline.sample import double_annotation_sample
from frontline.scheme import Scheme, load_scheme
from frontline.streams import ArrowSink, ordered_map, relax_gc, relaxed_gc
from frontline.validate import ExportInvalid, Problem, duplicate_task_problems, task_problems


@dataclass(frozen=True)
class BuildReport:
    released: list[str]
    missing: list[str]
    counts: dict[str, dict[str, int]]


def _items(task: Any, key: str) -> list[dict[str, Any]]:
    """The objects in a task's ``annotations`` or ``predictions`` list; anything malformed is
    left to validation, which reports it."""
    items = task.get(key) if isinstance(task, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def count_annotators(task: Any, found: dict[str, Counter[str]]) -> None:
    """Add a task's annotations (and ground-truth ones) per annotator account to ``found``."""
    for ann in _items(task, "annotations"):
        counter = found.setdefault(annotator_of(ann), Counter())
        counter["all"] += 1
        counter["ground_truth"] += ann.get("ground_truth") is True


def task_model_versions(task: Any) -> set[str]:
    return {str(p.get("model_version")) for p in _items(task, "predictions")}


def pinned_tool_versions(root: Path) -> str:
    """Label Studio versions pinned in requirements/constraints.txt (the ones the project used)."""
    text = (root / "requirements" / "constraints.txt").read_text(encoding="utf-8")
    pins = dict(re.findall(r"^(label-studio(?:-sdk)?)==(\S+)$", text, re.MULTILINE))
    return ", ".join(f"{name} {version}" for name, version in sorted(pins.items())) or "version not pinned"


def agreement_summary(project: Project) -> str:
    path = project.annotation / "agreement.md"
    if not path.exists():
        return "Not measured yet for this release."
    return (summary_of(path.read_text(encoding="utf-8")) or "See `annotation/agreement.md`.") + \
        "\n\nRead these as an upper bound: both annotators are sessions of the same AI assistant, " \
        "and the seed article's sentences are worked examples in the guidelines. The full report, per " \
        "article and per label, with its analysis, is `annotation/agreement.md`."


def baseline_table(project: Project) -> str:
    """The baseline table generated from the committed ``baselines/results.json``."""
    from frontline.results import table

    path = project.baselines / "results.json"
    if not path.exists():
        return "Not run yet: `frontline baselines` records them."
    return table(json.loads(path.read_text(encoding="utf-8")))


def write_corpus(folder: Path, tables: dict[str, dict[str, Dataset]], card_text: str) -> None:
    for config, splits in tables.items():
        for split, table in splits.items():
            path = folder / config / f"{split}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            table.to_parquet(str(path))
    (folder / "README.md").write_text(card_text, encoding="utf-8")


def replace_folder(new: Path, target: Path) -> None:
    """Swap ``new`` into ``target`` with renames, keeping the old one until the swap is done."""
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


@dataclass(frozen=True)
class Gold:
    """Everything the release is made from: validated, with the gold of each article."""

    scheme: Scheme
    articles: list[Article]
    tasks: list[dict[str, Any]]
    documents: list[Document]
    missing: list[str]  # article ids without gold
    splits: dict[str, str]


def load_gold(project: Project) -> Gold:
    """Read and validate the committed gold export; raise with every problem found."""
    scheme = load_scheme(project.scheme)
    articles = load_articles(project.seeds)
    tasks = read_valid_export(project.gold_export, articles, scheme)
    documents, missing = gold_documents(tasks)
    without_task = {a.id for a in articles} - {str(t["data"]["doc_id"]) for t in tasks}
    splits = assign_splits([a.id for a in articles])
    return Gold(scheme, articles, tasks, documents, sorted({*missing, *without_task}), splits)


@dataclass
class Scan:
    """What streaming the export found besides the rows."""

    counts: card.RowCounts
    annotators: dict[str, Counter[str]]
    model_versions: set[str]
    missing: set[str]  # article ids without gold
    problems: list[Problem]


@dataclass(frozen=True)
class Outcome:
    """What one task gives: its problems, or its gold's rows and the counts the card needs
    (both None without gold)."""

    problems: list[Problem]
    gold_problem: str = ""  # not exactly one gold annotation
    alignment: list[str] = field(default_factory=list)
    rows: Rows | None = None
    counts: card.ArticleCounts | None = None


_CONTEXT: dict[str, Any] = {}


def _set_context(articles: dict[str, Article], scheme: Scheme, worker: bool = True) -> None:
    """What :func:`task_outcome` reads, set once per worker process (whose collector is
    relaxed as the build's own is, see :func:`~frontline.streams.relax_gc`)."""
    _CONTEXT.update(articles=articles, scheme=scheme)
    if worker:
        relax_gc()


def task_outcome(task: Any) -> Outcome:
    """Validate one task and make the rows of its gold annotation."""
    articles, scheme = _CONTEXT["articles"], _CONTEXT["scheme"]
    problems = task_problems(task, articles, scheme)
    if problems:
        return Outcome(problems)
    try:
        documents, _ = gold_documents([task])
    except ExportError as exc:
        return Outcome([], gold_problem=str(exc))
    if not documents:
        return Outcome([])
    try:
        rows = article_rows(articles[documents[0].doc_id], documents[0])
    except AlignmentError as exc:
        return Outcome([], alignment=exc.problems)
    return Outcome([], rows=rows, counts=card.ArticleCounts.of(rows))


def _noted(tasks: Iterator[Any], scan: Scan) -> Iterator[Any]:
    """``tasks``, noting on the way what needs them all in order: annotator and model
    counts, and a second task of one article."""
    seen: dict[str, object] = {}
    for task in tasks:
        count_annotators(task, scan.annotators)
        scan.model_versions |= task_model_versions(task)
        scan.problems += duplicate_task_problems(task, seen)
        yield task


def scan_export(path: Path, articles: dict[str, Article], scheme: Scheme, splits: dict[str, str],
                sink: ArrowSink, *, num_proc: int = 1, progress: bool = False) -> Scan:
    """Validate the export task by task and send the rows of each gold document to ``sink``
    in export order; ``num_proc`` worker processes validate and make the rows.

    Every problem of the whole export is collected; then the first kind found is raised:
    :class:`ExportInvalid`, :class:`ExportError` (not exactly one gold annotation) or
    :class:`AlignmentError`.
    """
    scan = Scan(card.RowCounts(), {}, set(), set(articles), [])
    gold_problems, alignment = [], []
    outcomes = ordered_map(task_outcome, _noted(iter_export(path), scan), num_proc=num_proc,
                           initializer=_set_context, initargs=(articles, scheme, num_proc > 1))
    for outcome in tqdm(outcomes, total=len(articles), unit="task", desc="build", disable=not progress):
        scan.problems += outcome.problems
        gold_problems += [outcome.gold_problem] if outcome.gold_problem else []
        alignment += outcome.alignment
        if outcome.rows is not None and outcome.counts is not None:
            doc_id = outcome.counts.doc_id
            sink.add(splits[doc_id], outcome.rows)
            scan.counts.add(splits[doc_id], outcome.counts)
            scan.missing.discard(doc_id)
    if scan.problems:
        raise ExportInvalid(str(path), scan.problems)
    if gold_problems:
        raise ExportError("\n".join(gold_problems))
    if alignment:
        raise AlignmentError(alignment)
    return scan


def build(project: Project, output: Path | None = None, *, num_proc: int = 1,
          progress: bool = False) -> BuildReport:
    """Build the dataset from ``annotation/exports/frontline-gold.json`` into ``output``;
    ``num_proc`` processes validate the tasks and make the rows (the output is the same)."""
    output = output or project.corpus
    scheme = load_scheme(project.scheme)
    articles = load_articles(project.seeds)
    splits = assign_splits([a.id for a in articles])
    feats = features(scheme)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.build-", dir=output.parent))
    try:
        sink = ArrowSink(staging / "arrow", feats, scheme)
        with relaxed_gc():
            scan = scan_export(project.gold_export, {a.id: a for a in articles}, scheme, splits, sink,
                               num_proc=num_proc, progress=progress)
        if not scan.counts.released:
            raise ExportError(f"{project.gold_export}: no task has a ground_truth annotation: nothing to release")
        tables = sink.datasets()
        counts = {c: {s: len(t) for s, t in tables[c].items()} for c in CONFIGS}
        sizes = {c: {s: t.data.nbytes for s, t in tables[c].items()} for c in CONFIGS}
        files = {c: {s: f"{c}/{s}.parquet" for s in tables[c]} for c in CONFIGS}
        text = card.render(
            header=card.yaml_header(feats, counts, sizes, files), scheme=scheme,
            guidelines=card.guidelines_version(project.annotation / "guidelines.md"),
            tool_versions=pinned_tool_versions(project.root), articles=articles, splits=splits,
            rows=scan.counts, missing=sorted(scan.missing), annotators=scan.annotators,
            model_versions=sorted(scan.model_versions), agreement=agreement_summary(project),
            baselines=baseline_table(project), sample_size=len(double_annotation_sample([a.id for a in articles])))
        write_corpus(staging / "corpus", tables, text)
        replace_folder(staging / "corpus", output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildReport(sorted(scan.counts.released), sorted(scan.missing), counts)
