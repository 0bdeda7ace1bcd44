#!/usr/bin/env python
"""Scale benchmark: every pipeline step at 1,000 and 10,000 articles, beside its floor.

The real articles and their gold are replicated under new ids (``scale``) to
each size. Each step and its floor (the work it cannot avoid, measured the same way) runs
in a fresh Python process, so wall time excludes imports and peak memory (the process's
maximum resident set, children included) belongs to that step alone. The report goes
between the ``<!-- benchmark -->`` markers of ``baselines/BENCHMARK.md``; the raw numbers
to ``<workdir>/results.json``.

    python scripts/benchmark.py                        # 1,000 and 10,000 articles, every step
    python scripts/benchmark.py --sizes 200 --steps tasks build   # a quick look

This is a measurement, not a test: nothing here fails on a slow machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from frontline.core.files import atomic_write
from frontline.core.markdown import markdown_table, splice

if TYPE_CHECKING:
    from frontline.core.documents import Document
    from frontline.core.paths import Project

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- benchmark -->", "<!-- /benchmark -->"
STEPS = ("tasks", "build", "load", "predict", "push")
MODELS = ("lexicon", "sklearn-ner", "spacy-ner", "sklearn-relations")
PUSH_BATCH = 20
#: tasks, build and load (and their floors) run REPEATS times at every size, in rounds that
#: run a step and its floor one after the other, and the fastest run is kept: at a second
#: or less the machine's noise is as large as the step. The same count at every size keeps
#: the growth from 1,000 to 10,000 a like-for-like ratio. push and its floor run in rounds
#: too, each deleting its project after it is timed, so every round meets the same
#: database. Prediction is long: measured once.
REPEATS = 3
GOALS = {"tasks": "<= 1.3x floor", "build": "<= 1.5x floor", "push": ">= 0.8x raw throughput"}


# --- measurements (each runs in its own process) -------------------------------------------


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    extra = fn()
    return time.perf_counter() - start, extra


def _project(workdir: Path, size: int) -> Project:
    from frontline.core.paths import Project

    return Project(workdir / f"n{size}")


def _texts(project: Project) -> list[str]:
    from frontline.core.articles import load_articles

    return [a.text for a in load_articles(project.seeds)]


def _tokenize(texts: Iterable[str]) -> dict[str, int]:
    """The floor of tokenization: the project's spaCy pipeline over ``texts`` with nlp.pipe."""
    from frontline.core.text import nlp

    return {"tokens": sum(len(doc) for doc in nlp().pipe(texts))}


def m_tasks(project: Project, args: argparse.Namespace) -> tuple[float, Any]:
    from frontline.core.articles import load_articles
    from frontline.studio.tasks import tasks_json

    out = project.root / "tasks.json"
    return _timed(
        lambda: out.write_text(tasks_json(load_articles(project.seeds)), encoding="utf-8")
    )


def m_tasks_floor(project: Project, args: argparse.Namespace) -> tuple[float, Any]:
    texts = _texts(project)
    return _timed(lambda: _tokenize(texts))


def m_build(project: Project, args: argparse.Namespace) -> tuple[float, Any]:
    from frontline.release.build import build

    return _timed(lambda: build(project, project.root / "corpus", num_proc=args.num_proc).counts)


def m_build_floor(project: Project, args: argparse.Namespace) -> tuple[float, Any]:
    """Reading the export as a stream (the build must not hold it whole: ``iter_export``,
    ijson's parser and the tasks built from its events) + tokenization."""
    from frontline.gold.exports import iter_export

    return _timed(
        lambda: _tokenize(task["data"]["text"] for task in iter_export(project.gold_export))
    )


def _load_all(corpus: Path, cache: Path) -> dict[str, int]:
    from datasets import load_dataset

    return {
        config: sum(
            len(split) for split in load_dataset(str(corpus), config, cache_dir=str(cache)).values()
        )
        for config in ("documents", "ner", "relations")
    }


def m_load_first(project: Project, args: argparse.Namespace) -> tuple[float, Any]:
    cache = project.root / "hf-cache"
    shutil.rmtree(cache, ignore_errors=True)
    return _timed(lambda: _load_all(project.root / "corpus", cache))


def m_load_cached(project: Project, args: argparse.Namespace) -> tuple[float, Any]:
    return _timed(lambda: _load_all(project.root / "corpus", project.root / "hf-cache"))


def m_load_floor(project: Project, args: argparse.Namespace) -> tuple[float, Any]:
    import pyarrow.parquet as pq

    files = sorted((project.root / "corpus").rglob("*.parquet"))
    return _timed(lambda: {"rows": sum(pq.read_table(f).num_rows for f in files)})


def _documents(project: Project) -> list[Document]:
    """The gold documents of the scaled build (read before timing)."""
    from datasets import load_dataset

    from frontline.core.scheme import load_scheme
    from frontline.release.dataset import document_from_row

    scheme = load_scheme(project.scheme)
    splits = load_dataset(
        str(project.root / "corpus"), "documents", cache_dir=str(project.root / "hf-cache")
    )
    return [
        document_from_row(r, scheme.entity_names, scheme.relation_names)
        for s in splits.values()
        for r in s
    ]


def m_predict(project: Project, args: argparse.Namespace) -> tuple[float, Any]:
    """One trained baseline (see ``train_models``) over every document of the scaled corpus."""
    import pickle

    from frontline.baselines.suite import gold_entities_only

    model = pickle.loads((Path(args.workdir) / "models" / f"{args.model}.pkl").read_bytes())
    documents = _documents(project)
    if args.model == "sklearn-relations":
        inputs = [gold_entities_only(d) for d in documents]
        return _timed(lambda: {"documents": sum(1 for d in inputs if model.predict(d) is not None)})
    return _timed(
        lambda: {
            "documents": sum(1 for d in documents if model.predict(d.doc_id, d.text) is not None)
        }
    )


def m_predict_floor(project: Project, args: argparse.Namespace) -> tuple[float, Any]:
    texts = [d.text for d in _documents(project)]
    return _timed(lambda: _tokenize(texts))


def _server() -> tuple[str, str]:
    return os.environ["BENCH_LS_URL"], os.environ["BENCH_LS_TOKEN"]


def m_push(project: Project, args: argparse.Namespace) -> tuple[float, Any]:
    from frontline.core.articles import load_articles
    from frontline.core.scheme import load_scheme
    from frontline.studio import client

    url, token = _server()
    ls = client.connect(url, token)
    articles, scheme = load_articles(project.seeds), load_scheme(project.scheme)
    seconds, pushed = _timed(
        lambda: client.push(
            ls,
            articles,
            scheme,
            title=f"bench push {args.size}",
            batch_size=PUSH_BATCH,
            progress=False,
        )
    )
    ls.projects.delete(pushed.project_id)  # the next round starts from the same database
    if len(pushed.imported) != len(
        articles
    ):  # a project left by an earlier round would be timed as a no-op
        raise RuntimeError(f"push imported {len(pushed.imported)} of {len(articles)} articles")
    return seconds, {"imported": len(pushed.imported)}


def m_push_floor(project: Project, args: argparse.Namespace) -> tuple[float, Any]:
    """Raw HTTP POSTs of the same payloads, same batch size, to a project made beforehand."""
    import httpx

    from frontline.core.articles import load_articles
    from frontline.core.labelconfig import label_config
    from frontline.core.scheme import load_scheme
    from frontline.studio import client

    url, token = _server()
    ls = client.connect(url, token)
    scheme = load_scheme(project.scheme)
    pid = ls.projects.create(title=f"bench raw {args.size}", label_config=label_config(scheme)).id
    payloads = [
        client.task_payload(a, None)
        for a in sorted(load_articles(project.seeds), key=lambda a: a.id)
    ]

    def post() -> dict[str, int]:
        with httpx.Client(
            base_url=url, headers={"Authorization": f"Token {token}"}, timeout=900
        ) as client:
            for start in range(0, len(payloads), PUSH_BATCH):
                client.post(
                    f"/api/projects/{pid}/import",
                    params={"return_task_ids": "true"},
                    json=payloads[start : start + PUSH_BATCH],
                ).raise_for_status()
        return {"imported": len(payloads)}

    timed = _timed(post)
    ls.projects.delete(pid)  # the next round starts from the same database
    return timed


MEASURES: dict[str, Callable] = {
    "tasks": m_tasks,
    "tasks-floor": m_tasks_floor,
    "build": m_build,
    "build-floor": m_build_floor,
    "load-first": m_load_first,
    "load-cached": m_load_cached,
    "load-floor": m_load_floor,
    "predict": m_predict,
    "predict-floor": m_predict_floor,
    "push": m_push,
    "push-floor": m_push_floor,
}


def measure(args: argparse.Namespace) -> None:
    """The child process: one measurement, one JSON line on stdout."""
    from frontline.core.text import nlp

    nlp()  # build the pipeline before timing, as a long-running process would have it
    seconds, extra = MEASURES[args.measure](_project(Path(args.workdir), args.size), args)
    print(json.dumps({"seconds": round(seconds, 3), "peak_mb": _peak_mb(), "extra": extra}))


# --- the parent: set up, run each measurement in a child, report ----------------------------


def _run_once(
    args: argparse.Namespace,
    name: str,
    size: int,
    env: dict[str, str],
    num_proc: int = 1,
    **extra: str,
) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--measure",
        name,
        "--size",
        str(size),
        "--workdir",
        str(args.workdir),
        "--num-proc",
        str(num_proc),
        *(x for k, v in extra.items() for x in (f"--{k}", v)),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        raise SystemExit(f"benchmark step {name} at {size} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _best(key: str, size: int, runs: list[dict[str, Any]]) -> dict[str, Any]:
    result = {
        **min(runs, key=lambda r: r["seconds"]),
        "runs": len(runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
    }
    print(
        f"  {key:<22} n={size:<6} {result['seconds']:>9.2f} s  peak {result['peak_mb']:>7.1f} MB"
        f"  (best of {len(runs)})",
        flush=True,
    )
    return result


def run_child(
    args: argparse.Namespace, name: str, size: int, env: dict[str, str], **extra: str
) -> dict[str, Any]:
    """One measurement, once (prediction is long)."""
    return _best(
        name if "model" not in extra else f"{name}-{extra['model']}",
        size,
        [_run_once(args, name, size, env, **extra)],
    )


def run_rounds(
    args: argparse.Namespace, specs: dict[str, tuple[str, int]], size: int, env: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """Each measurement of ``specs`` (key -> (measurement, processes)) ``args.repeats``
    times, in rounds that run each once, the fastest run of each kept: a slow spell of
    the machine then falls on a step and its floor alike."""
    runs: dict[str, list[dict[str, Any]]] = {key: [] for key in specs}
    for _ in range(args.repeats):
        for key, (name, num_proc) in specs.items():
            runs[key].append(_run_once(args, name, size, env, num_proc))
    return {key: _best(key, size, found) for key, found in runs.items()}


def train_models(args: argparse.Namespace, env: dict[str, str]) -> None:
    """Train each baseline once on the real train split and pickle it for the predict steps."""
    code = f"""
import json, pickle, sys
from pathlib import Path
from frontline.baselines.suite import SEED, load_data
from frontline.baselines.models import LexiconNer, SklearnNer, SklearnRelations, SpacyNer
from frontline.core.scheme import load_scheme
root, out = Path({str(ROOT)!r}), Path({str(args.workdir)!r}) / "models"
out.mkdir(parents=True, exist_ok=True)
scheme = load_scheme(root / "annotation" / "scheme.toml")
data = load_data(root / "corpus", scheme, Path({str(args.workdir)!r}) / "hf-cache-real")
tuned = json.loads((root / "baselines" / "results.json").read_text())["tuning"]
config = root / "baselines" / "configs" / "ner.cfg"
models = {{
    "lexicon": LexiconNer(data.train, scheme.entity_names),
    "sklearn-ner": SklearnNer(
        data.train, scheme.entity_names, C=tuned["sklearn-ner"]["C"], seed=SEED
    ),
    "sklearn-relations": SklearnRelations(
        data.train, C=tuned["sklearn-relations"]["C"], seed=SEED
    ),
    "spacy-ner": SpacyNer(data.train, data.validation, config, seed=SEED),
}}
for name, model in models.items():
    (out / f"{{name}}.pkl").write_bytes(pickle.dumps(model))
"""
    subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)


def start_server(args: argparse.Namespace, env: dict[str, str]) -> tuple[Path, dict[str, str]]:
    from frontline.studio import service

    state = Path(args.workdir) / "studio"
    shutil.rmtree(
        state, ignore_errors=True
    )  # a kept --workdir holds a server made with another token
    secrets = {
        service.ENV_TOKEN: os.urandom(20).hex(),
        service.ENV_USERNAME: "bench@frontline.local",
        service.ENV_PASSWORD: os.urandom(12).hex(),
    }
    server_env = {k: v for k, v in env.items() if not k.startswith("FRONTLINE_LS_")} | secrets
    server = service.start(state, port=service.free_port(), env=server_env)
    return state, {**env, "BENCH_LS_URL": server.url, "BENCH_LS_TOKEN": secrets[service.ENV_TOKEN]}


def run_size(args: argparse.Namespace, size: int, env: dict[str, str]) -> dict[str, Any]:
    from scale import replicate

    from frontline.core.paths import Project

    print(f"{size} articles: replicating the real articles and gold", flush=True)
    folder = Path(args.workdir) / f"n{size}"
    shutil.rmtree(folder, ignore_errors=True)
    replicate(Project(ROOT), folder, size)
    found: dict[str, Any] = {
        "export_mb": round(
            (folder / "annotation/exports/frontline-gold.json").stat().st_size / 2**20, 1
        )
    }
    steps = set(args.steps) | ({"build"} if {"load", "predict"} & set(args.steps) else set())
    for step in STEPS:
        if step not in steps:
            continue
        if step == "load":
            found |= run_rounds(
                args,
                {name: (name, 1) for name in ("load-floor", "load-first", "load-cached")},
                size,
                env,
            )
        elif step == "predict":
            if size > args.predict_max:
                continue
            found["predict-floor"] = run_child(args, "predict-floor", size, env)
            for model in MODELS:
                found[f"predict-{model}"] = run_child(args, "predict", size, env, model=model)
        elif step == "push":
            found |= run_rounds(
                args, {"push-floor": ("push-floor", 1), "push": ("push", 1)}, size, env
            )
        else:
            specs = {f"{step}-floor": (f"{step}-floor", 1), step: (step, 1)}
            if step == "build" and args.num_proc > 1:
                specs[f"build-np{args.num_proc}"] = ("build", args.num_proc)
            found |= run_rounds(args, specs, size, env)
    return found


# --- report ------------------------------------------------------------------------------------


def _ratio(found: dict[str, Any], step: str, name: str) -> float:
    """``name``'s time over its step's floor; for push, a throughput ratio (raw time / push
    time)."""
    floor, own = found[f"{step}-floor"]["seconds"], found[name]["seconds"]
    return floor / own if step == "push" else own / floor


def _verdict(step: str, ratio: float) -> str:
    limit = {"tasks": 1.3, "build": 1.5, "push": 0.8}[step]
    return "met" if (ratio >= limit if step == "push" else ratio <= limit) else "**missed**"


STEP_HEADER = (
    "articles",
    "step",
    "wall s",
    "floor s",
    "ratio",
    "goal",
    "",
    "peak MB",
    "floor peak MB",
)


def _step_rows(size: str, found: dict[str, Any]) -> list[tuple[str, ...]]:
    """The rows of one size: each step against its floor, then ``load_dataset`` (reported)."""
    rows = []
    for name in ("tasks", "build", *(k for k in found if k.startswith("build-np")), "push"):
        if name in found:
            step = name.split("-")[0]
            floor = found[f"{step}-floor"]
            ratio = _ratio(found, step, name)
            label = f"build, {name[8:]} processes" if name.startswith("build-np") else step
            rows.append(
                (
                    f"{int(size):,}",
                    label,
                    f"{found[name]['seconds']:.2f}",
                    f"{floor['seconds']:.2f}",
                    f"{ratio:.2f}x",
                    GOALS[step],
                    _verdict(step, ratio),
                    f"{found[name]['peak_mb']:.0f}",
                    f"{floor['peak_mb']:.0f}",
                )
            )
    if "load-first" in found:
        floor = found["load-floor"]
        for name in ("load-first", "load-cached"):
            rows.append(
                (
                    f"{int(size):,}",
                    f"`load_dataset` ({name.split('-')[1]})",
                    f"{found[name]['seconds']:.2f}",
                    f"{floor['seconds']:.2f}",
                    f"{found[name]['seconds'] / floor['seconds']:.2f}x",
                    "report",
                    "",
                    f"{found[name]['peak_mb']:.0f}",
                    f"{floor['peak_mb']:.0f}",
                )
            )
    return rows


def step_table(results: dict[str, Any]) -> str:
    rows = [row for size, found in results["sizes"].items() for row in _step_rows(size, found)]
    return markdown_table(STEP_HEADER, rows, align="r-rrr--rr")


def predict_table(results: dict[str, Any]) -> str:
    header = ("articles", "model", "wall s", "tokens/s", "x tokenization floor", "peak MB")
    rows = []
    for size, found in results["sizes"].items():
        if "predict-floor" not in found:
            continue
        floor = found["predict-floor"]
        tokens = floor["extra"]["tokens"]
        timed = [("spaCy tokenization (floor)", floor)]
        timed += [(model, found[f"predict-{model}"]) for model in MODELS]
        rows += [
            (
                f"{int(size):,}",
                name,
                f"{m['seconds']:.2f}",
                f"{tokens / m['seconds']:,.0f}",
                f"{m['seconds'] / floor['seconds']:.2f}",
                f"{m['peak_mb']:.0f}",
            )
            for name, m in timed
        ]
    return markdown_table(header, rows, align="r-rrrr")


def growth_table(results: dict[str, Any]) -> str:
    sizes = sorted(results["sizes"], key=int)
    if len(sizes) < 2:
        return "(one size only: no growth to show)"
    small, large = sizes[0], sizes[-1]
    factor = int(large) / int(small)
    header = (
        "step",
        f"{int(small):,} s",
        f"{int(large):,} s",
        f"growth (articles x{factor:g})",
        f"linear (within {factor * 1.2:g}x)",
    )
    rows = []
    for name, found in results["sizes"][large].items():
        if isinstance(found, dict) and name in results["sizes"][small]:
            a, b = results["sizes"][small][name]["seconds"], found["seconds"]
            growth = b / a
            rows.append(
                (
                    name,
                    f"{a:.2f}",
                    f"{b:.2f}",
                    f"{growth:.1f}x",
                    "yes" if growth <= factor * 1.2 else "**no**",
                )
            )
    return markdown_table(header, rows, align="-rrr-")


def memory_line(results: dict[str, Any]) -> str:
    """The build's peak memory at the largest size against the 2 GB goal."""
    size = max(results["sizes"], key=int)
    runs = {
        k: v for k, v in results["sizes"][size].items() if k == "build" or k.startswith("build-np")
    }
    if not runs:
        return ""
    peak = max(v["peak_mb"] for v in runs.values())
    verdict = "met" if peak < 2048 else "**missed**"
    return (
        f"Peak memory of `build` at {int(size):,} articles: {peak:,.0f} MB (goal: under 2,048 MB): "
        f"{verdict}."
    )


def report(results: dict[str, Any]) -> str:
    meta = results["meta"]
    return "\n".join(
        [
            f"Measured {meta['date']} on {meta['machine']} ({meta['cpus']} CPUs, "
            f"{meta['memory_gb']} GB), Python "
            f"{meta['python']}, "
            + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
            + ".",
            f"Command: `{meta['command']}`. Each measurement is a fresh process; wall time "
            "excludes imports; "
            f"tasks, build, load and push (and their floors) are run in {meta['repeats']} rounds "
            "(a floor, then its "
            "step, alternating; each push deletes its project afterwards) and the fastest run of "
            "each kept, "
            "prediction once; peak MB is the largest resident set of the process or of any of "
            "its worker processes.",
            "",
            "### Steps against their floors",
            "",
            step_table(results),
            "",
            memory_line(results),
            "",
            "### Baseline prediction",
            "",
            predict_table(results),
            "",
            "### Growth",
            "",
            growth_table(results),
            "",
        ]
    )


def _without_workdir(argv: list[str]) -> list[str]:
    """The command line without ``--workdir`` (a local scratch path that says nothing of the
    run)."""
    out, skip = [], False
    for arg in argv:
        if skip or arg.startswith("--workdir="):
            skip = False
            continue
        skip = arg == "--workdir"
        out += [] if skip else [arg]
    return out


def metadata(args: argparse.Namespace) -> dict[str, Any]:
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "date": dt.date.today().isoformat(),
        "machine": cpu,
        "cpus": os.cpu_count(),
        "memory_gb": round(memory),
        "python": platform.python_version(),
        "num_proc": args.num_proc,
        "repeats": args.repeats,
        "command": "python scripts/benchmark.py " + " ".join(_without_workdir(sys.argv[1:])),
        "versions": {
            p: version(p)
            for p in ("spacy", "datasets", "pyarrow", "label-studio", "label-studio-sdk")
        },
    }


def write_report(path: Path, text: str) -> None:
    current = (
        path.read_text(encoding="utf-8") if path.exists() else f"# Benchmark\n\n{BEGIN}\n{END}\n"
    )
    atomic_write(path, splice(current, text, (BEGIN, END)).encode("utf-8"))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="example:\n  python scripts/benchmark.py --sizes 1000 10000",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[1000, 10000],
        help="numbers of articles (default 1000 10000)",
    )
    parser.add_argument(
        "--steps",
        nargs="+",
        choices=STEPS,
        default=list(STEPS),
        help="steps to measure (default all)",
    )
    parser.add_argument(
        "--num-proc",
        type=int,
        default=1,
        help="also measure build with this many worker processes (default 1: only one)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=REPEATS,
        help="runs of tasks, build, load and push at each size, the fastest kept (default "
        f"{REPEATS})",
    )
    parser.add_argument(
        "--predict-max",
        type=int,
        default=1000,
        help="measure baseline prediction only at sizes up to this (default 1000: "
        "prediction is per document, its throughput does not depend on corpus size)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="scratch folder (default: a new temporary folder, removed after)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "baselines" / "BENCHMARK.md",
        help="report file; only the block between its benchmark markers is replaced",
    )
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--model", choices=MODELS, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.measure:
        measure(args)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup below when killed
    keep = args.workdir is not None
    args.workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="frontline-bench-"))).resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "TQDM_DISABLE": "1"}
    state = None
    try:
        if "predict" in args.steps:
            print("training the baselines on the real train split", flush=True)
            train_models(args, env)
        if "push" in args.steps:
            state, env = start_server(args, env)
        results = {"meta": metadata(args), "sizes": {}}
        for size in sorted(args.sizes):
            results["sizes"][str(size)] = run_size(args, size, env)
            (args.workdir / "results.json").write_text(
                json.dumps(results, indent=1), encoding="utf-8"
            )
        write_report(args.output, report(results))
        atomic_write(
            args.output.with_suffix(".json"), (json.dumps(results, indent=1) + "\n").encode("utf-8")
        )
        print(f"wrote {args.output} and {args.output.with_suffix('.json')}")
    finally:
        if state is not None:
            from frontline.studio import service

            service.stop(state)
        if not keep:
            shutil.rmtree(args.workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
