"""The scaled copy of the project that the benchmark runs on."""

import json
from bisect import bisect_right
from itertools import accumulate

import pyarrow.parquet as pq
from scale import replica_id, replicate

from frontline.core.articles import load_articles
from frontline.core.scheme import load_scheme
from frontline.gold.exports import (
    ExportError,
    export_parts,
    gold_documents,
    iter_export,
    read_valid_export,
)
from frontline.gold.validate import ExportInvalid
from frontline.release.build import build


def test_replicate_copies_articles_and_gold_under_new_ids(repo, tmp_path):
    real = load_articles(repo.seeds)
    n = len(real) + 3
    scaled = replicate(repo, tmp_path / "scaled", n)
    articles = load_articles(scaled.seeds)  # checks ids, texts and checksums
    assert len(articles) == n
    first = sorted(real, key=lambda a: a.id)[:3]
    copies = {a.id: a for a in articles}
    for article in first:
        copy = copies[replica_id(article.id, 1)]
        assert copy.text == f"{article.text}\n\nReplica 1." and copy.title == article.title
    tasks = read_valid_export(scaled.gold_export, articles, load_scheme(scaled.scheme))
    assert [t["data"]["doc_id"] for t in tasks] == sorted(t["data"]["doc_id"] for t in tasks)
    assert len({t["id"] for t in tasks}) == len(tasks)
    assert len({a["id"] for t in tasks for a in t["annotations"]}) == sum(
        len(t["annotations"]) for t in tasks
    )
    docs, _ = gold_documents(tasks)
    real_docs, _ = gold_documents(
        read_valid_export(repo.gold_export, real, load_scheme(repo.scheme))
    )
    by_id = {d.doc_id: d for d in docs}
    for original in real_docs:
        if original.doc_id in {a.id for a in first}:
            copy = by_id[replica_id(original.doc_id, 1)]
            assert (copy.entities, copy.relations) == (original.entities, original.relations)


#: Parts of about 200 kB: the scaled exports below are a few MB, so they are cut in several.
PART_BYTES = 200_000


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_scaled_build_in_two_or_three_processes_equals_one_process(repo, tmp_path):
    scaled = replicate(repo, tmp_path / "scaled", 70)
    assert len(export_parts(scaled.gold_export, PART_BYTES)) >= 4  # every worker gets parts
    one = build(scaled, tmp_path / "one", num_proc=1, part_bytes=PART_BYTES)
    assert len(one.released) == len(load_articles(scaled.seeds)) - len(one.missing)
    files = _files(tmp_path / "one")
    assert files
    for n in (2, 3):
        assert build(scaled, tmp_path / f"n{n}", num_proc=n, part_bytes=PART_BYTES) == one
        assert _files(tmp_path / f"n{n}") == files


def test_an_export_that_fools_the_cut_is_read_whole_and_loses_nothing(repo, tmp_path):
    """One task of a file of one task a line gets a line break inside (still the same JSON):
    the cut takes it for a boundary, the part fails to read, and the build reads the file
    whole instead, in one process or two."""
    scaled = replicate(repo, tmp_path / "scaled", 70)
    clean = build(scaled, tmp_path / "clean", num_proc=2, part_bytes=PART_BYTES)
    data = scaled.gold_export.read_bytes()
    start, end = (
        data.rindex(b"\n", 0, PART_BYTES),
        data.index(b"\n", PART_BYTES),
    )  # the task where the cut is sought
    scaled.gold_export.write_bytes(
        data[:start] + data[start:end].replace(b"}, {", b"},\n{") + data[end:]
    )
    parts = export_parts(scaled.gold_export, PART_BYTES)
    assert any(_unreadable(scaled.gold_export, part) for part in parts)
    for n in (1, 2):
        assert build(scaled, tmp_path / f"n{n}", num_proc=n, part_bytes=PART_BYTES) == clean
        for config in ("documents", "ner", "relations"):
            read = [
                pq.read_table(tmp_path / name / config / "train.parquet")
                for name in ("clean", f"n{n}")
            ]
            assert read[0].equals(read[1])


def _unreadable(path, part):
    try:
        list(iter_export(path, part))
    except ExportError:
        return True
    return False


def _problems_of(project, num_proc, tmp_path):
    try:
        build(project, tmp_path / f"out-{num_proc}", num_proc=num_proc, part_bytes=PART_BYTES)
    except (ExportInvalid, ExportError) as exc:
        return type(exc), str(exc)
    raise AssertionError("the build did not refuse a broken export")


def test_workers_report_every_problem_of_every_part_in_export_order(repo, tmp_path):
    scaled = replicate(repo, tmp_path / "scaled", 140)
    tasks = json.loads(scaled.gold_export.read_text(encoding="utf-8"))
    for index in (3, 130):
        region = next(r for r in tasks[index]["annotations"][0]["result"] if r["type"] == "labels")
        region["value"]["text"] += "x"
    tasks[120] = {**tasks[2], "id": tasks[120]["id"]}  # a second task of one article, parts apart
    scaled.gold_export.write_text(json.dumps(tasks, indent=1), encoding="utf-8")
    parts = export_parts(scaled.gold_export, PART_BYTES)
    ends = list(accumulate(len(list(iter_export(scaled.gold_export, part))) for part in parts))
    assert (
        len({bisect_right(ends, i) for i in (3, 120, 130)}) == 3
    )  # the three tasks are in three parts
    one, two, three = (_problems_of(scaled, n, tmp_path) for n in (1, 2, 3))
    assert (
        one == two == three
        and one[0] is ExportInvalid
        and one[1].splitlines()[0].endswith(": 3 problem(s)")
    )
    first, duplicate, last = (
        f"doc {tasks[i]['data']['doc_id']} task {tasks[i]['id']} " for i in (3, 120, 130)
    )
    assert [one[1].index(s) for s in (first, duplicate, last)] == sorted(
        one[1].index(s) for s in (first, duplicate, last)
    )
    assert f"{duplicate}task: second task for this article (first: task {tasks[2]['id']})" in one[1]
    scaled.gold_export.write_text(
        json.dumps(tasks, indent=1)[:-5000], encoding="utf-8"
    )  # cut inside the last part
    one, two = _problems_of(scaled, 1, tmp_path), _problems_of(scaled, 2, tmp_path)
    assert (
        one == two and one[0] is ExportError and f"not a JSON export: task {len(tasks)}: " in one[1]
    )
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no staging left
