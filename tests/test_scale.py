"""The scaled copy of the project that the benchmark runs on."""

import json

from frontline.articles import load_articles
from frontline.build import build, export_work, run_starts, weighted_blocks
from frontline.exports import ExportError, gold_documents, read_valid_export
from frontline.scale import replica_id, replicate
from frontline.scheme import load_scheme
from frontline.validate import ExportInvalid


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
    assert len({a["id"] for t in tasks for a in t["annotations"]}) == sum(len(t["annotations"]) for t in tasks)
    docs, _ = gold_documents(tasks)
    real_docs, _ = gold_documents(read_valid_export(repo.gold_export, real, load_scheme(repo.scheme)))
    by_id = {d.doc_id: d for d in docs}
    for original in real_docs:
        if original.doc_id in {a.id for a in first}:
            copy = by_id[replica_id(original.doc_id, 1)]
            assert (copy.entities, copy.relations) == (original.entities, original.relations)


def _runs_of_blocks(project, shares):
    """The worker whose run each block of ``project``'s export is in."""
    starts = run_starts(shares, export_work(project.gold_export, {a.id: a for a in load_articles(project.seeds)}))
    return [sum(s <= middle for s in starts) - 1 for middle, _ in weighted_blocks(project.gold_export)]


def test_a_scaled_build_in_two_or_three_processes_equals_one_process(repo, tmp_path):
    scaled = replicate(repo, tmp_path / "scaled", 70)  # two blocks: with three workers, one gets none
    assert _runs_of_blocks(scaled, 3) == [1, 2]
    one = build(scaled, tmp_path / "one", num_proc=1)
    assert len(one.released) == len(load_articles(scaled.seeds)) - len(one.missing)
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*") if p.is_file())
    assert files
    for n in (2, 3):
        assert build(scaled, tmp_path / f"n{n}", num_proc=n) == one
        assert all((tmp_path / "one" / f).read_bytes() == (tmp_path / f"n{n}" / f).read_bytes() for f in files)


def _problems_of(project, num_proc, tmp_path):
    try:
        build(project, tmp_path / f"out-{num_proc}", num_proc=num_proc)
    except (ExportInvalid, ExportError) as exc:
        return type(exc), str(exc)
    raise AssertionError("the build did not refuse a broken export")


def test_two_processes_report_every_problem_of_both_runs_in_export_order(repo, tmp_path):
    scaled = replicate(repo, tmp_path / "scaled", 140)  # three blocks of 64 tasks
    tasks = json.loads(scaled.gold_export.read_text(encoding="utf-8"))
    for index in (3, 130):
        region = next(r for r in tasks[index]["annotations"][0]["result"] if r["type"] == "labels")
        region["value"]["text"] += "x"
    scaled.gold_export.write_text(json.dumps(tasks), encoding="utf-8")
    assert _runs_of_blocks(scaled, 2) == [0, 1, 1]  # tasks 3 and 130: one in each worker's run
    one, two = _problems_of(scaled, 1, tmp_path), _problems_of(scaled, 2, tmp_path)
    assert one == two and one[0] is ExportInvalid and one[1].splitlines()[0].endswith(": 2 problem(s)")
    first, second = (f"doc {tasks[i]['data']['doc_id']} task {tasks[i]['id']} " for i in (3, 130))
    assert first in one[1] and second in one[1] and one[1].index(first) < one[1].index(second)
    scaled.gold_export.write_text(json.dumps(tasks)[:-5000], encoding="utf-8")  # cut inside the last run
    one, two = _problems_of(scaled, 1, tmp_path), _problems_of(scaled, 2, tmp_path)
    assert one == two and one[0] is ExportError and f"not a JSON export: task {len(tasks)}: " in one[1]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no staging left
