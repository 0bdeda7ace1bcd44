"""Streaming pieces of the build: rows to Arrow files, joined across worker processes,
and a garbage-collector setting for making millions of small objects.

Rows go to disk in record batches as they are made, so memory stays bounded whatever the
size of the export; the files are memory-mapped when read back.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from datasets import Dataset, disable_progress_bars
from datasets.table import ConcatenationTable, MemoryMappedTable

from frontline.release.columns import Column, record_batch
from frontline.release.dataset import CONFIGS, Rows
from frontline.release.splits import SPLITS


class ArrowSink:
    """The rows of every config and split, streamed to ``<config>-<split>.arrow`` files in
    ``folder``: the articles added since the last :meth:`flush` make one record batch of
    each config and split (so the caller decides where batches break)."""

    def __init__(self, folder: Path, schemas: dict[str, pa.Schema]):
        self.folder = folder
        self.schemas = schemas
        self.buffers: dict[tuple[str, str], list[dict[str, Column]]] = {}
        self.writers: dict[tuple[str, str], pa.ipc.RecordBatchStreamWriter] = {}
        folder.mkdir(parents=True, exist_ok=True)

    def add(self, split: str, rows: Rows) -> None:
        """Add the rows of one article to ``split``."""
        for config in CONFIGS:
            self.buffers.setdefault((config, split), []).append(rows.of(config))

    def flush(self) -> None:
        """Write one record batch of each config and split from the articles added since."""
        for key, buffer in self.buffers.items():
            if key not in self.writers:
                self.writers[key] = pa.ipc.new_stream(
                    str(self.folder / f"{key[0]}-{key[1]}.arrow"), self.schemas[key[0]]
                )
            self.writers[key].write_batch(record_batch(buffer, self.schemas[key[0]]))
        self.buffers = {}

    def close(self) -> None:
        """Write what is buffered and close the files."""
        self.flush()
        for writer in self.writers.values():
            writer.close()


def join(folders: Sequence[Path]) -> dict[str, dict[str, Dataset]]:
    """One Dataset per config and non-empty split (datasets cannot load an empty split):
    the closed :class:`ArrowSink` files of ``folders`` memory-mapped and joined in that
    order, its rows sorted by (doc id, sentence) unless they are in that order already."""
    disable_progress_bars()
    tables: dict[str, dict[str, Dataset]] = {config: {} for config in CONFIGS}
    for split in SPLITS:
        for config in CONFIGS:
            files = [folder / f"{config}-{split}.arrow" for folder in folders]
            parts = [MemoryMappedTable.from_file(str(f)) for f in files if f.exists()]
            if parts:  # one Dataset of all the parts: a Dataset each would cost ~10x as much
                tables[config][split] = Dataset(ConcatenationTable.from_tables(parts))
        if split in tables["documents"]:
            ids = tables["documents"][split].data.column("id").to_pylist()
            if any(a >= b for a, b in zip(ids, ids[1:], strict=False)):
                tables["documents"][split] = tables["documents"][split].sort(["id"])
                # relations rows are the ner rows' sentences in the same order, without their ids
                order = sentence_order(tables["ner"][split])
                for config in ("ner", "relations"):
                    tables[config][split] = tables[config][split].select(order)
    return tables


def sentence_order(ner: Dataset) -> list[int]:
    """The row order of ``ner`` sorted by (doc id, sentence number)."""
    keys = ner.data.table.select(["doc_id", "sent_id"])
    return pc.sort_indices(
        keys, sort_keys=[("doc_id", "ascending"), ("sent_id", "ascending")]
    ).to_pylist()


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
