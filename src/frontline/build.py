"""``frontline build``: the committed gold export -> the released dataset in ``corpus/``.

The export is validated first (invalid input stops the build with the full list), the one
``ground_truth`` annotation of each task is the gold, articles without gold are reported
and left out, and the dataset is written to a temporary folder that replaces ``corpus/``
only when everything succeeded: a failed build leaves the previous release intact.
Rebuilding from the same inputs gives byte-identical files.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasets import Dataset, disable_progress_bars

from frontline import card
from frontline.agreement import annotator_of, summary_of
from frontline.articles import Article, load_articles
from frontline.documents import Document
from frontline.dataset import CONFIGS, SPLITS, assign_splits, corpus_rows, features
from frontline.exports import gold_documents, read_valid_export
from frontline.paths import Project
from frontline.sample import double_annotation_sample
from frontline.scheme import Scheme, load_scheme


@dataclass(frozen=True)
class BuildReport:
    released: list[str]
    missing: list[str]
    counts: dict[str, dict[str, int]]


def annotator_counts(tasks: list[dict[str, Any]]) -> dict[str, Counter[str]]:
    """Annotations (and ground-truth ones) per annotator account in an export."""
    found: dict[str, Counter[str]] = {}
    for task in tasks:
        for ann in task.get("annotations", []):
            counter = found.setdefault(annotator_of(ann), Counter())
            counter["all"] += 1
            counter["ground_truth"] += bool(ann.get("ground_truth"))
    return found


def model_versions(tasks: list[dict[str, Any]]) -> list[str]:
    return sorted({str(p.get("model_version")) for t in tasks for p in t.get("predictions", [])})


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


def to_datasets(rows: dict[str, dict[str, list[dict[str, Any]]]], feats: dict) -> dict[str, dict[str, Dataset]]:
    """One typed Dataset per config and non-empty split (datasets cannot load an empty split)."""
    disable_progress_bars()
    return {config: {split: Dataset.from_dict({name: [r[name] for r in rows[config][split]]
                                               for name in feats[config]}, features=feats[config])
                     for split in SPLITS if rows[config][split]}
            for config in CONFIGS}


def baseline_table(project: Project) -> str:
    """The baseline table generated from the committed ``baselines/results.json``."""
    from frontline.results import table

    path = project.baselines / "results.json"
    if not path.exists():
        return "Not run yet: `frontline baselines` records them."
    return table(json.loads(path.read_text(encoding="utf-8")))


def write_corpus(folder: Path, tables: dict[str, dict[str, Dataset]], card_text: str) -> None:
    for config, splits in tables.items():
        for split, table in splits.items():
            path = folder / config / f"{split}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            table.to_parquet(str(path))
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


def build(project: Project, output: Path | None = None) -> BuildReport:
    """Build the dataset from ``annotation/exports/frontline-gold.json`` into ``output``."""
    output = output or project.corpus
    gold = load_gold(project)
    scheme, articles, tasks, missing, splits = gold.scheme, gold.articles, gold.tasks, gold.missing, gold.splits
    rows = corpus_rows(articles, gold.documents, splits)
    feats = features(scheme)
    tables = to_datasets(rows, feats)
    counts = {c: {s: len(t) for s, t in tables[c].items()} for c in CONFIGS}
    sizes = {c: {s: t.data.nbytes for s, t in tables[c].items()} for c in CONFIGS}
    files = {c: {s: f"{c}/{s}.parquet" for s in tables[c]} for c in CONFIGS}
    text = card.render(
        header=card.yaml_header(feats, counts, sizes, files), scheme=scheme,
        guidelines=card.guidelines_version(project.annotation / "guidelines.md"),
        tool_versions=pinned_tool_versions(project.root), articles=articles, splits=splits, rows=rows,
        missing=missing, annotators=annotator_counts(tasks), model_versions=model_versions(tasks),
        agreement=agreement_summary(project), baselines=baseline_table(project),
        sample_size=len(double_annotation_sample([a.id for a in articles])))
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.build-", dir=output.parent))
    try:
        write_corpus(staging, tables, text)
        replace_folder(staging, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildReport(sorted(d.doc_id for d in gold.documents), missing, counts)
