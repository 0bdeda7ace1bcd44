"""``frontline build``: the committed gold export -> the released dataset in ``corpus/``.

The export is read one task at a time (never whole in memory) and validated as it is
read; the one ``ground_truth`` annotation of each task is the gold, and its rows are
streamed to Arrow files in a staging folder, one record batch per block of
:data:`BLOCK` tasks. The export is cut into parts at task boundaries
(:func:`~frontline.gold.exports.export_parts`), each written to files of its own; with
``num_proc`` workers, each takes the next part when it finishes one, and the parts'
files joined in order hold what one process writes. Articles without gold are reported
and left out. Any problem (invalid export, more than one gold annotation, a mention off
token boundaries) stops the build with the full list once the whole export has been
read, and the staging folder is thrown away: ``corpus/`` is replaced only when
everything succeeded. Rebuilding from the same inputs gives byte-identical files,
whatever ``num_proc``.

The output folder is replaced whole, so only a folder that is a build output is replaced
(:func:`check_output`): every build writes a :data:`MARKER` file into it. A build holds a
lock next to its output (:func:`lock_path`), and once it has it, sets right what a build
that was killed left (:func:`recover`): the previous output put back if the kill fell
between the two renames that swap the new one in, stale staging folders removed. Worker
processes die with the build (:func:`_die_with_parent`).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from datasets import Dataset
from tqdm import tqdm

from frontline.core.articles import Article, load_articles
from frontline.core.documents import Document
from frontline.core.locks import exclusive
from frontline.core.markdown import between
from frontline.core.paths import Project
from frontline.core.scheme import Scheme, load_scheme
from frontline.core.text import prime
from frontline.errors import FrontlineError
from frontline.gold.agreement import annotator_of, summary_of
from frontline.gold.exports import (
    WHOLE,
    ExportError,
    Part,
    export_parts,
    gold_documents,
    iter_export,
    no_gold_message,
    read_valid_export,
)
from frontline.gold.sample import agreement_sample
from frontline.gold.validate import (
    ExportInvalid,
    Problem,
    TaskKey,
    duplicate_problems,
    task_key,
    task_problems,
)
from frontline.release import card
from frontline.release.dataset import (
    CONFIGS,
    AlignmentError,
    Rows,
    article_rows,
    encoding,
    features,
)
from frontline.release.splits import assign_splits
from frontline.release.streams import ArrowSink, join, relax_gc, relaxed_gc


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
    return (
        ", ".join(f"{name} {version}" for name, version in sorted(pins.items()))
        or "version not pinned"
    )


def agreement_summary(project: Project) -> str:
    path = project.annotation / "agreement.md"
    if not path.exists():
        return "Not measured yet for this release."
    return (
        (summary_of(path.read_text(encoding="utf-8")) or "See `annotation/agreement.md`.")
        + "\n\nRead these as an upper bound: both annotators are sessions of the same AI "
        "assistant, and the seed article's sentences are worked examples in the guidelines. The "
        "full report, per article and per label, with its analysis, is `annotation/agreement.md`."
    )


def baseline_table(project: Project) -> str:
    """The baseline table that ``frontline baselines`` generated into the committed
    ``baselines/RESULTS.md`` (from ``results.json``; a test checks the two agree)."""
    path = project.baselines / "RESULTS.md"
    block = between(path.read_text(encoding="utf-8")) if path.exists() else None
    return "Not run yet: `frontline baselines` records them." if block is None else block


def write_corpus(
    folder: Path, tables: dict[str, dict[str, Dataset]], card_text: str, threads: int = 1
) -> None:
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
    mark(folder)


# --- the output folder: only a build output is replaced ---------------------------------------

#: The file that marks a folder as a build output (or a staging folder of a build), which a
#: build may replace or remove whole. Neither data nor card: the card names its data files,
#: ``datasets`` loads those, the dataset checksum hashes ``*.parquet`` and ``frontline
#: publish`` uploads the card and the files it names.
MARKER = ".frontline-build"
MARKER_TEXT = (
    "This folder was written by `frontline build`, which replaces it whole on the next build:\n"
    "keep nothing else in it.\n"
)


class OutputRefused(FrontlineError):
    """The output folder is not one a build may replace (or something of ours is in the way)."""


def mark(folder: Path) -> None:
    (folder / MARKER).write_text(MARKER_TEXT, encoding="utf-8")


def is_marked(folder: Path) -> bool:
    return (folder / MARKER).is_file() and not (folder / MARKER).is_symlink()


def unexpected_files(folder: Path) -> list[str]:
    """What in ``folder`` a build output never holds besides :data:`MARKER`: anything but
    ``README.md`` and folders ``documents/``, ``ner/`` and ``relations/`` of ``*.parquet``
    files (a hidden file, a link, another folder or file)."""
    found: list[str] = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name == "README.md" and entry.is_file(follow_symlinks=False):
            continue
        if entry.name in CONFIGS and entry.is_dir(follow_symlinks=False):
            found += [
                f"{entry.name}/{file.name}"
                for file in sorted(os.scandir(entry.path), key=lambda e: e.name)
                if not (file.name.endswith(".parquet") and file.is_file(follow_symlinks=False))
            ]
        else:
            found.append(entry.name)
    return found


def is_build_output(folder: Path) -> bool:
    """``folder`` (a folder) is one a build may replace whole: it holds :data:`MARKER`; or
    it looks exactly like a build output made before the marker existed (the committed
    ``corpus/`` had none): ``README.md`` and ``documents/``, ``ner/`` and ``relations/`` of
    ``*.parquet`` files, nothing else (:func:`unexpected_files`); or it is empty."""
    if is_marked(folder) or not any(folder.iterdir()):
        return True
    return (
        (folder / "README.md").is_file()
        and not (folder / "README.md").is_symlink()
        and not unexpected_files(folder)
    )


def _holds(folder: Path, inner: Path) -> bool:
    return folder == inner or folder in inner.parents


def check_output_place(project: Project, output: Path) -> None:
    """Refuse an output that a build must never replace, whatever it holds: the checkout, a
    folder holding it, the working directory or a folder holding it, a symbolic link."""
    where = output.resolve()
    root = project.root.resolve()
    if _holds(where, root):
        raise OutputRefused(
            f"refusing to build into {output}: a build replaces its whole output folder, "
            f"and this one holds the checkout {root}; give a folder of its own (default corpus/)"
        )
    try:
        cwd = Path.cwd().resolve()
    except OSError:  # the working directory was removed: nothing to hold
        cwd = None
    if cwd is not None and _holds(where, cwd):
        raise OutputRefused(
            f"refusing to build into {output}: a build replaces its whole output folder, "
            "and this one holds the working directory; give a folder of its own"
        )
    if output.is_symlink():
        raise OutputRefused(
            f"refusing to build into {output}: it is a symbolic link; give the folder itself"
        )


def check_output(output: Path) -> None:
    """Refuse an output that exists and is not a build output (:func:`is_build_output`)."""
    if not output.exists():
        return
    if not output.is_dir():
        raise OutputRefused(f"refusing to build into {output}: it is a file, not a folder")
    if is_build_output(output):
        return
    found = unexpected_files(output)
    shown = ", ".join(repr(name) for name in found[:5]) + (
        f" and {len(found) - 5} more" if len(found) > 5 else ""
    )
    raise OutputRefused(
        f"refusing to build into {output}: a build replaces its whole output folder, and this "
        f"one is not a build output (no {MARKER} file; "
        f"{f'it holds {shown}' if found else 'it has no README.md'}); "
        "give a new or empty folder, or remove this one yourself"
    )


def lock_path(output: Path) -> Path:
    """The lock a build of ``output`` holds, next to it: ``.frontline-build-corpus.lock``."""
    return output.with_name(f".frontline-build-{output.name}.lock")


def old_path(output: Path) -> Path:
    """Where the previous output waits while the new one is swapped in: ``.corpus.old``."""
    return output.with_name(f".{output.name}.old")


def new_staging(output: Path) -> Path:
    """A new staging folder next to ``output`` (``.corpus.build-XXXXXXXX``), marked at once."""
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.build-", dir=output.parent))
    mark(staging)
    return staging


def is_staging(output: Path, path: Path) -> bool:
    """``path`` is named as :func:`new_staging` names a staging folder of ``output``."""
    return re.fullmatch(rf"\.{re.escape(output.name)}\.build-[a-z0-9_]{{8}}", path.name) is not None


def is_staging_content(folder: Path) -> bool:
    """``folder`` holds what a build's staging folder does: it is marked, or empty (killed
    before it was marked, or while removing it), or holds only the ``arrow/`` and ``corpus/``
    folders that builds made before the marker existed left there."""
    if is_marked(folder):
        return True
    return all(
        entry.name in ("arrow", "corpus") and entry.is_dir(follow_symlinks=False)
        for entry in os.scandir(folder)
    )


def remove_ours(folder: Path) -> None:
    """Remove a folder of ours, its :data:`MARKER` last: killed midway, it is still marked
    (or empty), and the next build removes the rest."""
    for entry in os.scandir(folder):
        if entry.name != MARKER:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
    (folder / MARKER).unlink(missing_ok=True)
    folder.rmdir()


def discard(folder: Path, staging: Path) -> None:
    """Move ``folder`` (a build output) into ``staging``, a marked folder its caller removes:
    never half removed where it stood."""
    folder.rename(staging / "old")


def replace_folder(new: Path, target: Path, staging: Path) -> None:
    """Swap ``new`` into ``target`` with renames: ``target`` waits in ``.NAME.old`` until
    ``new`` is in its place (:func:`recover` puts it back if the build is killed between the
    two), then goes into ``staging`` for its caller to remove (:func:`discard`)."""
    old = old_path(target)
    if target.exists():
        target.rename(old)
    new.rename(target)
    if old.exists():
        discard(old, staging)


def recover(output: Path, say: Callable[[str], None]) -> None:
    """Set right what a build of ``output`` that was killed left, saying what was done: its
    staging folders removed, the previous output put back from ``.NAME.old`` if ``output``
    is missing (killed between the two renames of :func:`replace_folder`), else removed.
    Call it holding the lock: then no build that is running owns them."""
    for path in sorted(output.parent.iterdir()):
        if is_staging(output, path) and path.is_dir() and not path.is_symlink():
            if is_staging_content(path):
                remove_ours(path)
                say(f"removed {path}: the staging folder of a build that was killed")
            else:
                say(f"left {path} alone: it is not a staging folder of frontline build")
    old = old_path(output)
    if not (old.exists() or old.is_symlink()):
        return
    if old.is_symlink() or not old.is_dir() or not is_build_output(old):
        raise OutputRefused(
            f"{old} is in the way: a build keeps its previous output there while it replaces "
            "it, and this is not a build output; move it away"
        )
    if not (output.exists() or output.is_symlink()):
        old.rename(output)
        say(f"restored {output} from {old}: a build was killed while replacing it")
        return
    trash = new_staging(output)
    discard(old, trash)
    remove_ours(trash)
    say(f"removed {old}: the previous output, left by a build that was killed")


def _say(line: str) -> None:
    print(line, file=sys.stderr)


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
    problems: list[tuple[int, Problem]] = field(
        default_factory=list
    )  # with the index of the task in keys
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
    return (
        max(MIN_PART_BYTES, -(-path.stat().st_size // PARTS)) if path.is_file() else MIN_PART_BYTES
    )


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
    part's own :class:`~frontline.release.streams.ArrowSink`, one record batch per
    :data:`BLOCK` tasks, the block's texts parsed together; ``tick`` after each task."""
    scan = Scan()
    sink = ArrowSink(job.sink_folder(index), encoding(job.scheme).schemas)
    tasks = iter_export(job.path, part)
    try:
        while block := list(islice(tasks, BLOCK)):
            keys = [task_key(task) for task in block]
            prime(_article_texts(keys, job.articles))
            for task, key in zip(block, keys, strict=True):
                _scan_task(task, key, job, scan, sink)
                tick()
            sink.flush()
    finally:
        prime([])
        sink.close()
    return scan


def _article_texts(keys: list[TaskKey | None], articles: Mapping[str, Article]) -> list[str]:
    """The texts of the articles that tasks with these :func:`~frontline.gold.validate.task_key`
    name, looked up as validation looks them up; malformed tasks are left to validation."""
    return [articles[key[0]].text for key in keys if key is not None and key[0] in articles]


def _scan_task(task: Any, key: TaskKey | None, job: Job, scan: Scan, sink: ArrowSink) -> None:
    """Validate one task (whose :func:`~frontline.gold.validate.task_key` is ``key``) into
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


#: prctl(2) option: the signal a process gets when its parent dies (Linux).
PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Make this worker die when ``parent``, the build, does, however it ends (SIGKILL too):
    else a worker waits for parts forever. On Linux the kernel kills it (``prctl
    PR_SET_PDEATHSIG``); elsewhere a thread checks the parent every half second."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl")
    except (OSError, AttributeError):  # no prctl: not Linux

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # it died before the signal was asked for
        os._exit(1)


def _worker_started(job: Job, parts: list[Part], counter: Any, parent: int) -> None:
    """Set up a worker process: dying with ``parent`` (:func:`_die_with_parent`), the job
    (inherited through the fork, not pickled: it holds every article), the parts, the
    shared task counter, and the collector relaxed as the build's own is (see
    :func:`~frontline.release.streams.relax_gc`)."""
    _die_with_parent(parent)
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
    context = multiprocessing.get_context(
        "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    )
    counter = context.Value("q", 0)
    with ProcessPoolExecutor(
        min(num_proc, len(parts)),
        mp_context=context,
        initializer=_worker_started,
        initargs=(job, parts, counter, os.getpid()),
    ) as pool:
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


def scan_export(
    path: Path,
    articles: dict[str, Article],
    scheme: Scheme,
    splits: dict[str, str],
    folder: Path,
    *,
    num_proc: int = 1,
    part_bytes: int | None = None,
    progress: bool = False,
) -> tuple[Scan, list[Path]]:
    """Validate the export task by task and write the rows of each gold document to Arrow
    files under ``folder``; ``num_proc`` workers take its parts (:func:`export_parts` of
    ``part_bytes``, by default :func:`part_size`) in turn.

    Returns the scan and the parts' folders, whose files joined in that order hold the
    rows in export order (:func:`~frontline.release.streams.join`). When a part cannot be read
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
            parts = [WHOLE]
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


def build(
    project: Project,
    output: Path | None = None,
    *,
    num_proc: int = 1,
    part_bytes: int | None = None,
    progress: bool = False,
    say: Callable[[str], None] = _say,
) -> BuildReport:
    """Build the dataset from ``annotation/exports/frontline-gold.json`` into ``output``;
    ``num_proc`` processes validate the tasks and make the rows, taking parts of the
    export of about ``part_bytes`` (default :func:`part_size`) in turn. The output is the
    same whatever ``num_proc``.

    ``output`` (default ``corpus/``) must be new, empty or a build output
    (:func:`check_output_place`, :func:`check_output`: else :class:`OutputRefused`).
    The build holds :func:`lock_path` (:class:`~frontline.core.locks.Busy` if another build
    of ``output`` holds it) and first sets right what a killed build left
    (:func:`recover`), saying so through ``say`` (default: a line on stderr)."""
    output = Path(os.path.abspath(output or project.corpus))
    check_output_place(project, output)
    check_output(output)  # before the lock too, not to leave a lock file next to a folder refused
    output.parent.mkdir(parents=True, exist_ok=True)
    with exclusive(lock_path(output), "another build is running"):
        recover(output, say)
        check_output(output)
        return _build(project, output, num_proc=num_proc, part_bytes=part_bytes, progress=progress)


def _build(
    project: Project, output: Path, *, num_proc: int, part_bytes: int | None, progress: bool
) -> BuildReport:
    """:func:`build`, once the output is checked and locked."""
    scheme = load_scheme(project.scheme)
    articles = load_articles(project.seeds)
    splits = assign_splits({a.id: a.license for a in articles})
    feats = features(scheme)
    staging = new_staging(output)
    try:
        with relaxed_gc():
            scan, folders = scan_export(
                project.gold_export,
                {a.id: a for a in articles},
                scheme,
                splits,
                staging / "arrow",
                num_proc=num_proc,
                part_bytes=part_bytes,
                progress=progress,
            )
        if not scan.counts.released:
            raise ExportError(no_gold_message(project.gold_export, scan.keys))
        tables = join(folders)
        missing = sorted({a.id for a in articles} - scan.counts.released)
        counts = {c: {s: len(t) for s, t in tables[c].items()} for c in CONFIGS}
        sizes = {c: {s: t.data.nbytes for s, t in tables[c].items()} for c in CONFIGS}
        files = {c: {s: f"{c}/{s}.parquet" for s in tables[c]} for c in CONFIGS}
        text = card.render(
            header=card.yaml_header(feats, counts, sizes, files),
            scheme=scheme,
            guidelines=card.guidelines_version(project.annotation / "guidelines.md"),
            tool_versions=pinned_tool_versions(project.root),
            articles=articles,
            splits=splits,
            rows=scan.counts,
            instances=card.first_rows(tables),
            missing=missing,
            annotators=scan.annotators,
            model_versions=sorted(scan.model_versions),
            agreement=agreement_summary(project),
            baselines=baseline_table(project),
            sample_size=len(agreement_sample([a.id for a in articles])),
        )
        write_corpus(staging / "corpus", tables, text, threads=num_proc)
        replace_folder(staging / "corpus", output, staging)
    finally:
        try:
            remove_ours(staging)
        except OSError:  # the next build removes what is left
            pass
    return BuildReport(sorted(scan.counts.released), missing, counts)
