"""The streaming pieces of the build: the order-keeping pool and the Arrow sink."""

import os

import pytest
from fixtures import ARTICLE, DOC

from frontline.dataset import article_rows, features
from frontline.scheme import load_scheme
from frontline.streams import ArrowSink, ordered_map


def _pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def test_ordered_map_keeps_the_order_and_uses_the_workers():
    results = list(ordered_map(_pid_and_square, range(100), num_proc=2, chunk_size=3))
    assert [r for _, r in results] == [x * x for x in range(100)]
    assert os.getpid() not in {pid for pid, _ in results}


@pytest.mark.parametrize("num_proc", [1, 2])
def test_ordered_map_reads_its_input_lazily(num_proc):
    pulled = []

    def items():
        for i in range(1000):
            pulled.append(i)
            yield i

    results = ordered_map(_pid_and_square, items(), num_proc=num_proc, chunk_size=4)
    assert next(results)[1] == 0
    # at most 2 * num_proc chunks of 4 are in flight when the first result comes back
    assert len(pulled) <= max(1, 2 * num_proc * 4)
    assert [r for _, r in results] == [x * x for x in range(1, 1000)]


def test_sink_sorts_rows_that_arrive_out_of_order(tmp_path, repo):
    scheme = load_scheme(repo.scheme)
    sink = ArrowSink(tmp_path, features(scheme), scheme)
    second = ARTICLE.__class__(**{**ARTICLE.__dict__, "id": "a-first"})
    sink.add("test", article_rows(ARTICLE, DOC))
    sink.add("test", article_rows(second, DOC.__class__("a-first", DOC.text, DOC.entities, DOC.relations)))
    tables = sink.datasets()
    assert tables["documents"]["test"]["id"] == ["a-first", "tiny"]
    assert tables["ner"]["test"]["id"] == ["a-first-000", "a-first-001", "tiny-000", "tiny-001"]
    labels = tables["documents"]["test"].features["entities"].feature["label"].names
    assert [labels[e["label"]] for e in tables["documents"]["test"][1]["entities"]] == [e.label for e in DOC.entities]
    assert set(tables) == {"documents", "ner", "relations"} and list(tables["ner"]) == ["test"]
