"""``frontline build``: the committed gold export -> the released dataset in ``corpus/``.

The export is read one task at a time (never whole in memory) and validated as it is
read; the one ``ground_truth`` annotation of each task is the gold, and its rows are
streamed to Arrow files in a staging folder, one record batch per block of
:data:`BLOCK` tasks. The export is cut into parts at task boundaries
(:func:`~frontline.exports.export_parts`), each written to files of its own; with
``num_proc`` workers, each takes the next part when it finishes one, and the parts'
files joined in order hold what one process writes. Articles without gold are reported
and left out. Any problem (invalid export, more than one gold annotation, a mention off
token boundaries) stops the build with the full list once the whole export has been
read, and the staging folder is thrown away: ``corpus/`` is replaced only when
everything succeeded. Rebuilding from the same inputs gives byte-identical files,
whatever ``num_proc``.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from datasets import Dataset
from tqdm import tqdm

from frontline import card
from frontline.agreement import annotator_of, summary_of
from frontline.articles import Article, load_articles
from frontline.dataset import CONFIGS, AlignmentError, Rows, article_rows, encoding, features
from frontline.splits import assign_splits
from frontline.documents import Document
from frontline.exports import ExportError, Part, export_parts, gold_documents, part_tasks, read_valid_export
from frontline.paths import Project
from frontline.sample import double_annotation_sample
from frontline.scheme import Scheme, load_scheme
from frontline.streams import ArrowSink, join, relax_gc, relaxed_gc
from frontline.text import prime
from frontline.validate import ExportInvalid, Problem, TaskKey, duplicate_problems, task_key, task_problems


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


def write_corpus(folder: Path, tables: dict[str, dict[str, Dataset]], card_text: str, threads: int = 1) -> None:
    """The Parquet file of each config and split, and the card; ``threads`` files are
    written at a time (Arrow encodes and compresses outside Python's lock)."""
    def write(key: tuple[str, str]) -> None:
        config, split = key
        path = folder / config / f"{split}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        tables[config][split].to_parquet(str(path))

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(write, [(c, s) for c, splits in tables.items() for s in splits]))
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
    splits = assign_splits({a.id: a.license for a in articles})
    return Gold(scheme, articles, tasks, documents, sorted({*missing, *without_task}), splits)


@dataclass
class Scan:
    """What reading the export found besides the rows (of one part of it, or all)."""

    counts: card.RowCounts = field(default_factory=card.RowCounts)
    annotators: dict[str, Counter[str]] = field(default_factory=dict)
    model_versions: set[str] = field(default_factory=set)
    keys: list[TaskKey | None] = field(default_factory=list)  # task_key of each task, in order
    problems: list[tuple[int, Problem]] = field(default_factory=list)  # with the index of the task in keys
    gold_problems: list[str] = field(default_factory=list)  # not exactly one gold annotation
    alignment: list[str] = field(default_factory=list)

    def update(self, other: Scan) -> None:
        """Add ``other``, the scan of the tasks after this one's."""
        self.counts.update(other.counts)
        for account, counter in other.annotators.items():
            self.annotators.setdefault(account, Counter()).update(counter)
        self.model_versions |= other.model_versions
        self.problems += [(len(self.keys) + index, problem) for index, problem in other.problems]
        self.keys += other.keys
        self.gold_problems += other.gold_problems
        self.alignment += other.alignment

    def all_problems(self) -> list[Problem]:
        """Every problem in export order, with a second task of one article (which only
        the whole export shows) before the other problems of that task."""
        seen: dict[str, object] = {}
        found = [(index, 1, problem) for index, problem in self.problems]
        for index, key in enumerate(self.keys):
            found += [(index, 0, problem) for problem in duplicate_problems(key, seen)]
        return [problem for *_, problem in sorted(found, key=lambda item: item[:2])]


@dataclass(frozen=True)
class Outcome:
    """What one task gives: its problems, or its gold's rows and the counts the card needs
    (both None without gold)."""

    problems: list[Problem]
    gold_problem: str = ""  # not exactly one gold annotation
    alignment: list[str] = field(default_factory=list)
    rows: Rows | None = None
    counts: card.ArticleCounts | None = None


def task_outcome(task: Any, articles: Mapping[str, Article], scheme: Scheme) -> Outcome:
    """Validate one task and make the rows of its gold annotation."""
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
        rows = article_rows(articles[documents[0].doc_id], documents[0], scheme)
    except AlignmentError as exc:
        return Outcome([], alignment=exc.problems)
    return Outcome([], rows=rows, counts=card.ArticleCounts.of(documents[0], rows))


#: Tasks whose rows make one record batch, counted from the start of each part of the
#: export: parts depend on the file alone (:func:`part_size`), so batches break at the
#: same tasks whatever ``num_proc``, and so does the output.
BLOCK = 64

#: About how many parts an export is cut into for the workers, who take them in turn as
#: they finish one: parts differ in work (tasks differ in length), and many small ones
#: leave little for one worker to finish while the other waits.
PARTS = 32

#: No part is smaller than this, so a small export is one part or a few.
MIN_PART_BYTES = 1 << 20


def part_size(path: Path) -> int:
    """How many bytes of the export at ``path`` a part holds, about (:func:`export_parts`)."""
    return max(MIN_PART_BYTES, -(-path.stat().st_size // PARTS)) if path.is_file() else MIN_PART_BYTES


@dataclass(frozen=True)
class Job:
    """What every part of :func:`scan_export` needs."""

    path: Path
    articles: dict[str, Article]
    scheme: Scheme
    splits: dict[str, str]
    folder: Path  # part k's ArrowSink writes to folder / f"part-{k:05d}"

    def sink_folder(self, index: int) -> Path:
        return self.folder / f"part-{index:05d}"


def scan_part(job: Job, index: int, part: Part, tick: Callable[[], None]) -> Scan:
    """Validate the tasks of one part of the export and write their gold's rows to the
    part's own :class:`~frontline.streams.ArrowSink`, one record batch per
    :data:`BLOCK` tasks, the block's texts parsed together; ``tick`` after each task."""
    scan = Scan()
    sink = ArrowSink(job.sink_folder(index), encoding(job.scheme).schemas)
    tasks = part_tasks(job.path, part)
    try:
        while block := list(islice(tasks, BLOCK)):
            keys = [task_key(task) for task in block]
            prime(_article_texts(keys, job.articles))
            for task, key in zip(block, keys):
                _scan_task(task, key, job, scan, sink)
                tick()
            sink.flush()
    finally:
        prime([])
        sink.close()
    return scan


def _article_texts(keys: list[TaskKey | None], articles: Mapping[str, Article]) -> list[str]:
    """The texts of the articles that tasks with these :func:`~frontline.validate.task_key`
    name, looked up as validation looks them up; malformed tasks are left to validation."""
    return [articles[key[0]].text for key in keys if key is not None and key[0] in articles]


def _scan_task(task: Any, key: TaskKey | None, job: Job, scan: Scan, sink: ArrowSink) -> None:
    """Validate one task (whose :func:`~frontline.validate.task_key` is ``key``) into
    ``scan``; its gold's rows go to ``sink``."""
    count_annotators(task, scan.annotators)
    scan.model_versions |= task_model_versions(task)
    outcome = task_outcome(task, job.articles, job.scheme)
    scan.problems += [(len(scan.keys), problem) for problem in outcome.problems]
    scan.keys.append(key)
    scan.gold_problems += [outcome.gold_problem] if outcome.gold_problem else []
    scan.alignment += outcome.alignment
    if outcome.rows is not None and outcome.counts is not None:
        split = job.splits[outcome.counts.doc_id]
        sink.add(split, outcome.rows)
        scan.counts.add(split, outcome.counts)


_WORKER: dict[str, Any] = {}  # a worker process's job, parts and shared task counter


def _worker_started(job: Job, parts: list[Part], counter: Any) -> None:
    """Set up a worker process: the job (inherited through the fork, not pickled: it holds
    every article), the parts, the shared task counter, and the collector relaxed as the
    build's own is (see :func:`~frontline.streams.relax_gc`)."""
    _WORKER.update(job=job, parts=parts, counter=counter)
    relax_gc()


def _tick() -> None:
    with _WORKER["counter"].get_lock():
        _WORKER["counter"].value += 1


def _scan_in_worker(index: int) -> Scan:
    return scan_part(_WORKER["job"], index, _WORKER["parts"][index], _tick)


def _scan_parts(job: Job, parts: list[Part], num_proc: int, bar: tqdm) -> list[Scan]:
    """:func:`scan_part` of each part: here, one after the other, with one process or one
    part; else in ``num_proc`` worker processes (forked, so the articles are not copied),
    each taking the next part when it finishes one, the bar following their ticks."""
    if num_proc == 1 or len(parts) == 1:
        return [scan_part(job, index, part, bar.update) for index, part in enumerate(parts)]
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    counter = context.Value("q", 0)
    with ProcessPoolExecutor(min(num_proc, len(parts)), mp_context=context, initializer=_worker_started,
                             initargs=(job, parts, counter)) as pool:
        futures = [pool.submit(_scan_in_worker, index) for index in range(len(parts))]
        try:
            while True:
                done, not_done = wait(futures, timeout=0.2, return_when=FIRST_EXCEPTION)
                bar.update(counter.value - bar.n)
                if not not_done or any(future.exception() for future in done):
                    return [future.result() for future in futures]
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise


def scan_export(path: Path, articles: dict[str, Article], scheme: Scheme, splits: dict[str, str],
                folder: Path, *, num_proc: int = 1, part_bytes: int | None = None,
                progress: bool = False) -> tuple[Scan, list[Path]]:
    """Validate the export task by task and write the rows of each gold document to Arrow
    files under ``folder``; ``num_proc`` workers take its parts (:func:`export_parts` of
    ``part_bytes``, by default :func:`part_size`) in turn.

    Returns the scan and the parts' folders, whose files joined in that order hold the
    rows in export order (:func:`~frontline.streams.join`). When a part cannot be read
    (a broken file, or one whose parts were cut wrong), the export is read again whole,
    in one process, and its :class:`ExportError` says where. Every problem of the whole
    export is collected; then the first kind found is raised: :class:`ExportInvalid`,
    :class:`ExportError` (not exactly one gold annotation) or :class:`AlignmentError`.
    """
    job = Job(path, articles, scheme, splits, folder)
    parts = export_parts(path, part_bytes or part_size(path))
    with tqdm(total=len(articles), unit="task", desc="build", disable=not progress) as bar:
        try:
            scans = _scan_parts(job, parts, num_proc, bar)
        except ExportError:
            if len(parts) == 1:
                raise
            shutil.rmtree(folder, ignore_errors=True)
            bar.reset()
            parts = [Part(0, None)]
            scans = _scan_parts(job, parts, 1, bar)
    scan = Scan()
    for part in scans:
        scan.update(part)
    problems = scan.all_problems()
    if problems:
        raise ExportInvalid(str(path), problems)
    if scan.gold_problems:
        raise ExportError("\n".join(scan.gold_problems))
    if scan.alignment:
        raise AlignmentError(scan.alignment)
    return scan, [job.sink_folder(index) for index in range(len(parts))]


def build(project: Project, output: Path | None = None, *, num_proc: int = 1, part_bytes: int | None = None,
          progress: bool = False) -> BuildReport:
    """Build the dataset from ``annotation/exports/frontline-gold.json`` into ``output``;
    ``num_proc`` processes validate the tasks and make the rows, taking parts of the
    export of about ``part_bytes`` (default :func:`part_size`) in turn. The output is the
    same whatever ``num_proc``."""
    output = output or project.corpus
    scheme = load_scheme(project.scheme)
    articles = load_articles(project.seeds)
    splits = assign_splits({a.id: a.license for a in articles})
    feats = features(scheme)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.build-", dir=output.parent))
    try:
        with relaxed_gc():
            scan, folders = scan_export(project.gold_export, {a.id: a for a in articles}, scheme, splits,
                                        staging / "arrow", num_proc=num_proc, part_bytes=part_bytes,
                                        progress=progress)
        if not scan.counts.released:
            raise ExportError(f"{project.gold_export}: no task has a ground_truth annotation: nothing to release")
        tables = join(folders)
        missing = sorted({a.id for a in articles} - scan.counts.released)
        counts = {c: {s: len(t) for s, t in tables[c].items()} for c in CONFIGS}
        sizes = {c: {s: t.data.nbytes for s, t in tables[c].items()} for c in CONFIGS}
        files = {c: {s: f"{c}/{s}.parquet" for s in tables[c]} for c in CONFIGS}
        text = card.render(
            header=card.yaml_header(feats, counts, sizes, files), scheme=scheme,
            guidelines=card.guidelines_version(project.annotation / "guidelines.md"),
            tool_versions=pinned_tool_versions(project.root), articles=articles, splits=splits,
            rows=scan.counts, instances=card.first_rows(tables), missing=missing, annotators=scan.annotators,
            model_versions=sorted(scan.model_versions), agreement=agreement_summary(project),
            baselines=baseline_table(project), sample_size=len(double_annotation_sample([a.id for a in articles])))
        write_corpus(staging / "corpus", tables, text, threads=num_proc)
        replace_folder(staging / "corpus", output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildReport(sorted(scan.counts.released), missing, counts)
