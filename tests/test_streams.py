"""The streaming pieces of the build: the Arrow sink and the joining of workers' files."""

import pyarrow as pa
from fixtures import ARTICLE, DOC

from frontline.core.scheme import load_scheme
from frontline.release.dataset import article_rows, encoding
from frontline.release.streams import ArrowSink, join


def _renamed(doc_id: str):
    return ARTICLE.__class__(**{**ARTICLE.__dict__, "id": doc_id}), DOC.__class__(
        doc_id, DOC.text, DOC.entities, DOC.relations
    )


def test_sink_sorts_rows_that_arrive_out_of_order(tmp_path, repo):
    scheme = load_scheme(repo.scheme)
    sink = ArrowSink(tmp_path, encoding(scheme).schemas)
    sink.add("test", article_rows(ARTICLE, DOC, scheme))
    sink.add("test", article_rows(*_renamed("a-first"), scheme))
    sink.close()
    tables = join([tmp_path])
    assert tables["documents"]["test"]["id"] == ["a-first", "tiny"]
    assert tables["ner"]["test"]["id"] == ["a-first-000", "a-first-001", "tiny-000", "tiny-001"]
    # relations rows follow the ner rows into the same order (they carry no ids of their own)
    assert tables["relations"]["test"]["orig_id"] == tables["ner"]["test"]["orig_id"]
    labels = tables["documents"]["test"].features["entities"].feature["label"].names
    assert [labels[e["label"]] for e in tables["documents"]["test"][1]["entities"]] == [
        e.label for e in DOC.entities
    ]
    assert set(tables) == {"documents", "ner", "relations"} and list(tables["ner"]) == ["test"]


def test_a_batch_per_flush_and_workers_files_joined_in_order(tmp_path, repo):
    scheme = load_scheme(repo.scheme)
    one, two = (
        ArrowSink(tmp_path / "0", encoding(scheme).schemas),
        ArrowSink(tmp_path / "1", encoding(scheme).schemas),
    )
    one.add("train", article_rows(*_renamed("a"), scheme))
    one.add("train", article_rows(*_renamed("b"), scheme))
    one.flush()
    one.add("train", article_rows(*_renamed("c"), scheme))
    two.add("train", article_rows(*_renamed("d"), scheme))
    two.add("test", article_rows(*_renamed("e"), scheme))
    one.close()
    two.close()
    with pa.ipc.open_stream(tmp_path / "0" / "ner-train.arrow") as reader:
        assert [b.num_rows for b in reader] == [4, 2]  # two articles of two sentences, then one
    tables = join([tmp_path / "0", tmp_path / "1"])
    assert tables["documents"]["train"]["id"] == ["a", "b", "c", "d"]
    assert tables["ner"]["train"]["id"][-2:] == ["d-000", "d-001"]
    assert tables["relations"]["test"]["orig_id"] == tables["ner"]["test"]["orig_id"]
    assert tables["ner"]["test"]["doc_id"] == ["e", "e"]
    assert "validation" not in tables["ner"]
