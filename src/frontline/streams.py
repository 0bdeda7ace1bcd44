"""Streaming pieces of the build: rows to Arrow files, an order-keeping process pool, and
a garbage-collector setting for making millions of small objects.

The first two keep memory bounded whatever the size of the export: rows go to disk in
record batches, and at most a few chunks of tasks are in flight in the pool at any time.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
from datasets import Dataset, Features, disable_progress_bars

from frontline.dataset import CONFIGS, SPLITS, Rows
from frontline.scheme import Scheme

T = TypeVar("T")
R = TypeVar("R")

#: Rows per Arrow record batch while streaming.
BATCH_ROWS = 1000


class ArrowSink:
    """The rows of every config and split, streamed to Arrow files in ``folder`` in record
    batches of :data:`BATCH_ROWS` rows, with the ClassLabel columns encoded as label ids."""

    def __init__(self, folder: Path, feats: dict[str, Features], scheme: Scheme):
        self.folder = folder
        self.schemas = {config: feats[config].arrow_schema for config in CONFIGS}
        self.entity = {n: i for i, n in enumerate(scheme.entity_names)}
        self.relation = {n: i for i, n in enumerate(scheme.relation_names)}
        self.tag = {n: i for i, n in enumerate(scheme.iob2_tags())}
        self.buffers: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.writers: dict[tuple[str, str], pa.ipc.RecordBatchStreamWriter] = {}
        self.last: dict[str, str] = {}  # split -> the last doc id added
        self.in_order: dict[str, bool] = {}
        folder.mkdir(parents=True, exist_ok=True)

    def encoded(self, rows: Rows) -> dict[str, list[dict[str, Any]]]:
        """The rows of each config, ClassLabel columns as label ids."""
        doc = rows.documents
        document = {**doc, "entities": [{**e, "label": self.entity[e["label"]]} for e in doc["entities"]],
                    "relations": [{**r, "label": self.relation[r["label"]]} for r in doc["relations"]]}
        ner = [{**row, "ner_tags": [self.tag[t] for t in row["ner_tags"]]} for row in rows.ner]
        return {"documents": [document], "ner": ner, "relations": rows.relations}

    def add(self, split: str, rows: Rows) -> None:
        """Add the rows of one article to ``split``."""
        doc_id = rows.documents["id"]
        self.in_order[split] = self.in_order.get(split, True) and self.last.get(split, "") < doc_id
        self.last[split] = doc_id
        for config, items in self.encoded(rows).items():
            buffer = self.buffers.setdefault((config, split), [])
            buffer += items
            if len(buffer) >= BATCH_ROWS:
                self.flush((config, split))

    def flush(self, key: tuple[str, str]) -> None:
        schema = self.schemas[key[0]]
        if key not in self.writers:
            self.writers[key] = pa.ipc.new_stream(str(self.folder / f"{key[0]}-{key[1]}.arrow"), schema)
        self.writers[key].write_batch(pa.RecordBatch.from_pylist(self.buffers.pop(key), schema=schema))

    def datasets(self) -> dict[str, dict[str, Dataset]]:
        """One Dataset per config and non-empty split (datasets cannot load an empty split),
        memory-mapped from the Arrow files, its rows in (doc id, sentence) order."""
        disable_progress_bars()
        for key in [k for k, rows in self.buffers.items() if rows]:
            self.flush(key)
        for writer in self.writers.values():
            writer.close()
        tables: dict[str, dict[str, Dataset]] = {config: {} for config in CONFIGS}
        for config, split in sorted(self.writers, key=lambda k: (k[0], SPLITS.index(k[1]))):
            table = Dataset.from_file(str(self.folder / f"{config}-{split}.arrow"))
            if not self.in_order[split]:
                table = table.sort(["id"] if config == "documents" else ["doc_id", "sent_id"])
            tables[config][split] = table
        return tables


#: Allocations between two youngest-generation collections while :func:`relaxed_gc` holds.
GC_THRESHOLD = 100_000


def relax_gc() -> None:
    """Let CPython's cyclic garbage collector run far less often, for the rest of the process.

    The build allocates millions of small objects (rows, tokens) that reference counting
    frees, and that hold no cycles; with the default thresholds the collector keeps
    re-scanning every long-lived object while they are made, which profiling showed
    to be about half of the time spent making rows. Objects alive now are frozen out of
    the scans, and collections happen every :data:`GC_THRESHOLD` allocations.
    """
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 50, 100)


@contextmanager
def relaxed_gc() -> Iterator[None]:
    """:func:`relax_gc` for the duration of a ``with`` block; the settings are restored after."""
    threshold = gc.get_threshold()
    relax_gc()
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _apply(fn: Callable[[T], R], chunk: list[T]) -> list[R]:
    return [fn(item) for item in chunk]


def ordered_map(fn: Callable[[T], R], items: Iterable[T], *, num_proc: int = 1, chunk_size: int = 16,
                initializer: Callable[..., None] | None = None, initargs: tuple = ()) -> Iterator[R]:
    """``map(fn, items)`` in ``num_proc`` worker processes, results in input order.

    ``items`` is consumed lazily: at most ``2 * num_proc`` chunks of ``chunk_size`` items
    are in flight, so a stream of any length runs in bounded memory. With ``num_proc=1``
    everything runs in this process (``initializer`` is called here first).
    """
    if num_proc <= 1:
        if initializer is not None:
            initializer(*initargs)
        yield from map(fn, items)
        return
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    iterator = iter(items)
    with ProcessPoolExecutor(num_proc, mp_context=context, initializer=initializer, initargs=initargs) as pool:
        pending: deque[Future[list[R]]] = deque()
        while True:
            while len(pending) < 2 * num_proc and (chunk := list(islice(iterator, chunk_size))):
                pending.append(pool.submit(_apply, fn, chunk))
            if not pending:
                return
            yield from pending.popleft().result()
