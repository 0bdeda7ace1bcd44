"""``frontline build``: the committed gold export -> the released dataset in ``corpus/``.

The export is read one task at a time (never whole in memory) and validated as it is
read; the one ``ground_truth`` annotation of each task is the gold, and its rows are
streamed to Arrow files in a staging folder, one record batch per block of
:data:`BLOCK` tasks. With ``num_proc`` workers, each takes a run of consecutive blocks
(:func:`run_starts`) and writes its own files; joined in order, they hold what one process
writes. Articles without gold are reported and left out. Any problem (invalid export,
more than one gold annotation, a mention off token boundaries) stops the build with the
full list once the whole export has been read, and the staging folder is thrown away:
``corpus/`` is replaced only when everything succeeded. Rebuilding from the same inputs
gives byte-identical files, whatever ``num_proc``.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datasets import Dataset
from tqdm import tqdm

from frontline import card
from frontline.agreement import annotator_of, summary_of
from frontline.articles import Article, load_articles
from frontline.dataset import CONFIGS, AlignmentError, Rows, article_rows, assign_splits, encoding, features
from frontline.documents import Document
from frontline.exports import Block, ExportError, export_blocks, gold_documents, read_valid_export
from frontline.paths import Project
from frontline.sample import double_annotation_sample
from frontline.scheme import Scheme, load_scheme
from frontline.streams import ArrowSink, join, relax_gc, relaxed_gc
from frontline.text import prime
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
    splits = assign_splits([a.id for a in articles])
    return Gold(scheme, articles, tasks, documents, sorted({*missing, *without_task}), splits)


@dataclass
class Scan:
    """What reading the export found besides the rows (of one worker's share, or all)."""

    counts: card.RowCounts = field(default_factory=card.RowCounts)
    annotators: dict[str, Counter[str]] = field(default_factory=dict)
    model_versions: set[str] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)
    gold_problems: list[str] = field(default_factory=list)  # not exactly one gold annotation
    alignment: list[str] = field(default_factory=list)

    def update(self, other: Scan) -> None:
        """Add ``other``, the scan of the tasks after this one's."""
        self.counts.update(other.counts)
        for account, counter in other.annotators.items():
            self.annotators.setdefault(account, Counter()).update(counter)
        self.model_versions |= other.model_versions
        self.problems += other.problems
        self.gold_problems += other.gold_problems
        self.alignment += other.alignment


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


#: Tasks whose rows make one record batch: batches break at the same tasks however many
#: workers share the export, so the output does not depend on ``num_proc``.
BLOCK = 64


#: What any other byte of an export costs beside a character of its articles' texts.
#: Fitted (least squares) to the blocks of a build of 1,000 articles here: a million text
#: characters (decoded, tokenized, made into rows) took 0.72 s, a million other bytes
#: (annotations decoded and validated) 0.039 s.
OTHER_BYTE_COST = 0.054


#: What decoding a task costs beside validating it and making its rows: measured here,
#: about 0.12 at 1,000 articles and 0.06 at 10,000 (spaCy's caches warm up, the decoder's
#: do not). A worker decodes every task up to the end of its run, so earlier workers get
#: longer runs (:func:`run_starts`).
DECODE_COST = 0.1


def work(text_chars: int, size: int) -> float:
    """The work of ``size`` bytes of an export holding ``text_chars`` characters of article
    text, in text characters (:data:`OTHER_BYTE_COST`).

    >>> work(1000, 11000)  # 1,000 characters of text and 10,000 other bytes
    1540.0
    """
    return text_chars + OTHER_BYTE_COST * max(size - text_chars, 0)


def export_work(path: Path, articles: Mapping[str, Article]) -> float:
    """The :func:`work` of the export at ``path``, told before reading it from its size and
    the texts of ``articles`` (one task per article)."""
    return work(sum(len(a.text) for a in articles.values()), path.stat().st_size if path.is_file() else 0)


def _data(task: Any) -> dict[str, Any]:
    """A task's ``data`` object; empty for a malformed task (validation reports it)."""
    data = task.get("data") if isinstance(task, dict) else None
    return data if isinstance(data, dict) else {}


def _text_chars(task: Any) -> int:
    text = _data(task).get("text")
    return len(text) if isinstance(text, str) else 0


def weighted_blocks(path: Path) -> Iterator[tuple[float, Block]]:
    """Each block of :data:`BLOCK` tasks of the export, with the :func:`work` of the export
    up to the middle of the block: every worker reads the same, so all agree on whose
    run a block is in."""
    chars = 0
    for block in export_blocks(path, BLOCK):
        before = work(chars, block.start)
        chars += sum(map(_text_chars, block.tasks))
        yield (before + work(chars, block.end)) / 2, block


def run_starts(shares: int, total: float) -> list[float]:
    """Where each worker's run starts, in the :func:`work` of an export of ``total``.

    Worker ``k`` takes the blocks whose middle lies at or after ``starts[k]`` and before
    ``starts[k + 1]`` (the last worker: to the end), so the workers' rows joined in order
    are in export order and every worker's batches are whole blocks. Runs are measured in
    work, not tasks or bytes: tasks differ in length and in how many annotations they
    hold (runs of equal numbers of tasks took 1.7 times as long for the first of two
    workers as for the second at 10,000 articles; runs of bytes, 1.4 times at 1,000). They
    are sized so each worker does about the same: decoding every task up to the end of
    its run (:data:`DECODE_COST` of the work) and processing its own.

    >>> run_starts(2, 1000)  # the first worker decodes less, so it processes more
    [0.0, 523.8]
    >>> run_starts(1, 1000), run_starts(3, 3000)
    ([0.0], [0.0, 1096.7, 2093.7])
    """
    keep = 1 / (1 + DECODE_COST)
    return [round(total * (1 - keep ** k) / (1 - keep ** shares), 1) for k in range(shares)]


@dataclass(frozen=True)
class Share:
    """One worker's part of :func:`scan_export`."""

    path: Path
    articles: dict[str, Article]
    scheme: Scheme
    splits: dict[str, str]
    start: float  # the work (see run_starts) where this worker's run starts
    end: float | None  # where the next worker's starts; None: to the end of the export
    folder: Path  # where this worker's ArrowSink writes


def scan_share(share: Share, tick: Callable[[], None]) -> Scan:
    """Read the export up to the end of ``share``'s run of blocks, validate the tasks of
    the run and write their gold's rows to its own :class:`~frontline.streams.ArrowSink`,
    one record batch per block; ``tick`` after each task.

    The tasks before the run are decoded too (a task's end is only known by decoding it),
    and each article's first task noted, so that a second task of one article is reported
    by whichever worker takes it; so is the block after the run (whose run a block is in
    is known once it is read: :func:`weighted_blocks`).
    """
    scan, seen = Scan(), {}
    sink = ArrowSink(share.folder, encoding(share.scheme).schemas)
    for middle, block in weighted_blocks(share.path):
        if share.end is not None and middle >= share.end:
            break
        sink.flush()
        ours = middle >= share.start
        if ours:
            prime(_article_texts(block.tasks, share.articles))
        for task in block.tasks:
            duplicate = duplicate_task_problems(task, seen)
            if ours:
                _scan_task(task, duplicate, share, scan, sink)
                tick()
    prime([])
    sink.close()
    return scan


def _article_texts(tasks: list[Any], articles: Mapping[str, Article]) -> list[str]:
    """The texts of the articles that ``tasks`` name (malformed tasks are left to validation)."""
    ids = [_data(task).get("doc_id") for task in tasks]
    return [articles[i].text for i in ids if isinstance(i, str) and i in articles]


def _scan_task(task: Any, duplicate: list[Problem], share: Share, scan: Scan, sink: ArrowSink) -> None:
    """Validate one task of ``share``'s run into ``scan``; its gold's rows go to ``sink``."""
    count_annotators(task, scan.annotators)
    scan.model_versions |= task_model_versions(task)
    outcome = task_outcome(task, share.articles, share.scheme)
    scan.problems += duplicate + outcome.problems
    scan.gold_problems += [outcome.gold_problem] if outcome.gold_problem else []
    scan.alignment += outcome.alignment
    if outcome.rows is not None and outcome.counts is not None:
        split = share.splits[outcome.counts.doc_id]
        sink.add(split, outcome.rows)
        scan.counts.add(split, outcome.counts)


_WORKER: dict[str, Any] = {}  # a worker process's shares and shared task counter


def _worker_started(shares: list[Share], counter: Any) -> None:
    """Set up a worker process: the shares (inherited through the fork, not pickled: they
    hold every article), the shared task counter, and the collector relaxed as the build's
    own is (see :func:`~frontline.streams.relax_gc`)."""
    _WORKER.update(shares=shares, counter=counter)
    relax_gc()


def _tick() -> None:
    with _WORKER["counter"].get_lock():
        _WORKER["counter"].value += 1


def _scan_in_worker(index: int) -> Scan:
    return scan_share(_WORKER["shares"][index], _tick)


def _scan_shares(shares: list[Share], bar: tqdm) -> list[Scan]:
    """:func:`scan_share` of each share: here if there is one, else each in a worker process
    (forked, so the articles are not copied), the bar following their ticks."""
    if len(shares) == 1:
        return [scan_share(shares[0], lambda: bar.update())]
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    counter = context.Value("q", 0)
    with ProcessPoolExecutor(len(shares), mp_context=context, initializer=_worker_started,
                             initargs=(shares, counter)) as pool:
        futures = [pool.submit(_scan_in_worker, k) for k in range(len(shares))]
        while wait(futures, timeout=0.2).not_done:
            bar.update(counter.value - bar.n)
        bar.update(counter.value - bar.n)
        return [future.result() for future in futures]


def scan_export(path: Path, articles: dict[str, Article], scheme: Scheme, splits: dict[str, str],
                folder: Path, *, num_proc: int = 1, progress: bool = False) -> tuple[Scan, list[Path]]:
    """Validate the export task by task and write the rows of each gold document to Arrow
    files under ``folder``; ``num_proc`` workers each take a run of consecutive tasks.

    Returns the scan and the workers' folders, whose files joined in that order hold the
    rows in export order (:func:`~frontline.streams.join`). Every problem of the whole
    export is collected; then the first kind found is raised: :class:`ExportInvalid`,
    :class:`ExportError` (not exactly one gold annotation) or :class:`AlignmentError`.
    """
    starts = run_starts(num_proc, export_work(path, articles))
    shares = [Share(path, articles, scheme, splits, starts[k], starts[k + 1] if k < num_proc - 1 else None,
                    folder / f"share-{k}") for k in range(num_proc)]
    with tqdm(total=len(articles), unit="task", desc="build", disable=not progress) as bar:
        scans = _scan_shares(shares, bar)
    scan = Scan()
    for part in scans:
        scan.update(part)
    if scan.problems:
        raise ExportInvalid(str(path), scan.problems)
    if scan.gold_problems:
        raise ExportError("\n".join(scan.gold_problems))
    if scan.alignment:
        raise AlignmentError(scan.alignment)
    return scan, [share.folder for share in shares]


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
        with relaxed_gc():
            scan, folders = scan_export(project.gold_export, {a.id: a for a in articles}, scheme, splits,
                                        staging / "arrow", num_proc=num_proc, progress=progress)
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
            rows=scan.counts, missing=missing, annotators=scan.annotators,
            model_versions=sorted(scan.model_versions), agreement=agreement_summary(project),
            baselines=baseline_table(project), sample_size=len(double_annotation_sample([a.id for a in articles])))
        write_corpus(staging / "corpus", tables, text, threads=num_proc)
        replace_folder(staging / "corpus", output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildReport(sorted(scan.counts.released), missing, counts)
