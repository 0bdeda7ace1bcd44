"""The benchmark script runs end to end on a small scale and writes its report block."""

import json
import subprocess
import sys

from conftest import REPO


def expected_splits(n: int) -> dict[str, int]:
    """Articles per split of the first ``n`` replicas, by the split rule
    (frontline.release.splits)."""
    from scale import replica_id, replicas

    from frontline.core.articles import load_articles
    from frontline.release.splits import split_of

    splits = [
        split_of(replica_id(a.id, k), a.license)
        for a, k in replicas(load_articles(REPO / "seeds"), n)
    ]
    return {s: splits.count(s) for s in ("train", "validation", "test")}


def run_benchmark(report, workdir) -> subprocess.CompletedProcess:
    """The benchmark at 20 and 40 articles, tasks, build and load, twice each."""
    command = [sys.executable, str(REPO / "scripts" / "benchmark.py"), "--sizes", "20", "40"]
    command += ["--steps", "tasks", "build", "load", "--repeats", "2"]
    command += ["--output", str(report), "--workdir", str(workdir)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def check_size(results: dict, size: str, text: str) -> None:
    """The measurements at ``size`` are all there, and in the report."""
    found = results["sizes"][size]
    assert {
        "tasks",
        "tasks-floor",
        "build",
        "build-floor",
        "load-first",
        "load-cached",
        "load-floor",
    } <= set(found)
    assert found["build"]["extra"]["documents"] == expected_splits(int(size))
    assert all(
        m["seconds"] > 0 and m["peak_mb"] > 0 and m["runs"] == 2
        for m in found.values()
        if isinstance(m, dict)
    )
    assert (
        f"| {size} | build | {found['build']['seconds']:.2f} | "
        f"{found['build-floor']['seconds']:.2f} |" in text
    )


def test_benchmark_measures_steps_and_floors_and_splices_its_report(tmp_path):
    report = tmp_path / "BENCHMARK.md"
    report.write_text(
        "# Notes kept\n\n<!-- benchmark -->\nold\n<!-- /benchmark -->\n\nAnalysis kept.\n"
    )
    done = run_benchmark(report, tmp_path / "work")
    assert done.returncode == 0, done.stderr[-2000:]
    text = report.read_text()
    assert text.startswith("# Notes kept\n\n<!-- benchmark -->\n") and text.endswith(
        "Analysis kept.\n"
    )
    assert "old" not in text
    # the command as run, but the scratch folder (a local path) left out
    assert (
        "Command: `python scripts/benchmark.py --sizes 20 40 --steps tasks build load --repeats 2 "
        f"--output {report}`"
    ) in text
    results = json.loads(report.with_suffix(".json").read_text())
    for size in ("20", "40"):
        check_size(results, size, text)
    assert "| build | " in text.split("### Growth")[1]
