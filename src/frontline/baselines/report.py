"""The baseline table (``baselines/RESULTS.md``) and error analysis, generated from results.

The table is generated from ``baselines/results.json`` only, so a test can check that the
committed table matches the committed results. The error analysis (confusion matrix PNG,
frequent false positives and negatives, a displaCy page of gold against predictions) goes
to the git-ignored ``baselines/errors/``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from frontline.baselines.registry import ENTITY_MODELS, System
from frontline.core.documents import Document

BEGIN, END = "<!-- results -->", "<!-- /results -->"


def _ci(block: dict[str, Any]) -> str:
    lo, hi = block["f1_ci95"]
    return f"{block['f1']:.3f} [{lo:.3f}, {hi:.3f}]"


def _seeds(results: dict[str, Any], group: str, name: str) -> str:
    """``mean ± std`` over the seeds of a trained system, ``n/a`` for one that has no seed."""
    block = results.get("seeds", {}).get(group, {}).get(name)
    return f"{block['mean']:.3f} ± {block['std']:.3f}" if block else "n/a"


def table(results: dict[str, Any]) -> str:
    """The Markdown tables of the headline scores (every dict is iterated in sorted order, so the
    table is the same whether ``results`` comes from a run or from reading results.json)."""
    ents = results["entities"]
    lines = [
        "Entity recognition on `test` (strict = exact span and type; F1 with 95% bootstrap CI over "
        f"test documents, {results['bootstrap']['resamples']} resamples):",
        "",
        "| system | strict F1 [95% CI] | seeds: mean ± std | strict P | strict R | macro F1 | exact F1 | "
        "partial F1 | type F1 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in sorted(ents.items(), key=lambda kv: (-kv[1]["strict"]["f1"], kv[0])):
        lines.append(
            f"| {name} | {_ci(s['strict'])} | {_seeds(results, 'entities', name)} | "
            f"{s['strict']['precision']:.3f} | {s['strict']['recall']:.3f} | "
            f"{s['strict']['macro_f1']:.3f} | {s['exact']['f1']:.3f} | {s['partial']['f1']:.3f} | "
            f"{s['type']['f1']:.3f} |"
        )
    e2e = results["relations"]["end_to_end_entity_model"]
    lines += [
        "",
        f"Relation extraction on `test` (strict: both spans, both entity types and the relation "
        f"type right; boundaries: entity types ignored). End to end uses the entities of `{e2e}`, the "
        "best entity model on validation:",
        "",
        "| system | entities | strict F1 [95% CI] | seeds: mean ± std | strict P | strict R | macro F1 | "
        "boundaries F1 | reversed |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for setting, title in (("gold_entities", "gold"), ("end_to_end", e2e)):
        for name, s in sorted(
            results["relations"][setting].items(), key=lambda kv: (-kv[1]["strict"]["f1"], kv[0])
        ):
            seeds = (
                _seeds(results, "relations_gold_entities", name)
                if setting == "gold_entities"
                else "n/a"
            )
            lines.append(
                f"| {name} | {title} | {_ci(s['strict'])} | {seeds} | {s['strict']['precision']:.3f} | "
                f"{s['strict']['recall']:.3f} | {s['strict']['macro_f1']:.3f} | "
                f"{s['boundaries']['f1']:.3f} | {s['reversed_direction']} |"
            )
    seeds = results.get("seeds")
    if seeds:
        lines += [
            "",
            f'Seeds: the CI is over test documents for seed {seeds["seeds"][0]}; "seeds" is the test '
            f"strict F1 over seeds {', '.join(map(str, seeds['seeds']))} (C fixed to the tuned value; "
            "scikit-learn's lbfgs solver is deterministic, so its seeds agree). Model selection: "
            f"{results['model_selection']}.",
        ]
    rare = results.get("rare_labels", {}).get("test")
    if rare:
        named = [
            f"{k} ({v})"
            for part in ("entities", "relations")
            for k, v in sorted(rare[part].items())
        ]
        lines += [
            "",
            "Too rare on `test` to score per label (fewer than 10 gold instances; they weigh in the "
            f"macro F1 all the same): {', '.join(named) if named else 'none'}.",
        ]
    rep = results.get("reproducibility")
    if rep:
        spread = rep.get("spacy_ner_spread")
        lines += [
            "",
            f"Reproducibility: exact on every x86-64 machine with the pinned versions: {rep['exact']}. "
            f"Within a tolerance: {rep['within_tolerance']}, because {rep['why']}."
            + (
                f" Measured: spacy-ner's test strict F1 moved by {spread['strict_f1_range']:.4f} "
                f"({spread['strict_f1_min']:.4f} to {spread['strict_f1_max']:.4f}) over "
                f"{len(spread['runs'])} OpenBLAS kernel and thread settings."
                if spread
                else ""
            ),
        ]
    lines += [
        "",
        "Paired bootstrap p-values (one-sided: the better system does not beat the next one):",
        "",
    ]
    for group, rows in sorted(results["significance"].items()):
        for row in rows:
            lines.append(
                f"- {group}: {row['against']} vs {row['system']}: p = {row['p_value']:.3f}"
            )
    cv = results.get("cross_validation")
    if cv:
        lines += [
            "",
            f"Document-level {cv['k']}-fold cross-validation over all released articles "
            "(strict F1, C fixed to the tuned value; the spaCy pipeline is left out to keep the run "
            "under 10 minutes on 2 cores):",
            "",
            "| system | mean | std | folds |",
            "|---|---|---|---|",
        ]
        for name, s in sorted(cv["strict_f1"].items()):
            lines.append(
                f"| {name} | {s['mean']:.3f} | {s['std']:.3f} | {', '.join(f'{x:.3f}' for x in s['folds'])} |"
            )
    return "\n".join(lines)


def results_markdown(results: dict[str, Any]) -> str:
    meta = results["run"]
    return "\n".join(
        [
            "# Baseline results",
            "",
            "Generated by `frontline baselines` from `baselines/results.json`; do not edit by hand.",
            "",
            f"Dataset checksum (sha256 of the parquet files): `{meta['dataset_sha256']}`. Seed {meta['seed']}. "
            f"Packages: {', '.join(f'{k} {v}' for k, v in meta['packages'].items())}. Test articles: "
            f"{meta['n_test_documents']}, validation: {meta['n_validation_documents']}, train: {meta['n_train_documents']}.",
            "",
            BEGIN,
            table(results),
            END,
            "",
        ]
    )


def splice(text: str, block: str, begin: str = BEGIN, end: str = END) -> str:
    """Replace the generated block between the markers ``begin`` and ``end`` in ``text``."""
    if begin not in text or end not in text:
        raise ValueError(f"no {begin} ... {end} block to replace")
    head, rest = text.split(begin, 1)
    return head + begin + "\n" + block + "\n" + end + rest.split(end, 1)[1]


def frequent_errors(
    gold: Sequence[Document], pred: Sequence[Document], top: int = 15
) -> tuple[list[tuple[tuple[str, str], int]], list[tuple[tuple[str, str], int]]]:
    """Most frequent false positives and false negatives (text, label) under strict matching."""
    fp: Counter[tuple[str, str]] = Counter()
    fn: Counter[tuple[str, str]] = Counter()
    for g, p in zip(gold, pred, strict=True):
        gs = {(e.start, e.end, e.label): e.text for e in g.entities}
        ps = {(e.start, e.end, e.label): e.text for e in p.entities}
        fp.update((ps[k], k[2]) for k in ps.keys() - gs.keys())
        fn.update((gs[k], k[2]) for k in gs.keys() - ps.keys())
    return fp.most_common(top), fn.most_common(top)


def write_error_analysis(
    folder: Path,
    gold: Sequence[Document],
    predictions: Mapping[str, list[Document]],
    labels: Sequence[str],
) -> list[Path]:
    """Confusion matrices (PNG), frequent errors (Markdown), gold vs prediction (displaCy HTML)
    of every entity model of the registry in ``predictions`` (keyed by ``System.label``, an
    entity model's is its name)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    notes = ["# Error analysis", ""]
    for kind in ENTITY_MODELS:
        pred = predictions.get(System(kind.name).label)
        if pred is None:
            continue
        written.append(_confusion_png(folder, kind.name, gold, pred, labels))
        fps, fns = frequent_errors(gold, pred)
        notes += [f"## {kind.name}", "", "Most frequent false positives:", ""]
        notes += [f"- {n} × {text!r} as {label}" for (text, label), n in fps]
        notes += ["", "Most frequent false negatives:", ""]
        notes += [f"- {n} × {text!r} ({label})" for (text, label), n in fns] + [""]
        written.append(_displacy_page(folder, kind.name, gold, pred))
    path = folder / "errors.md"
    path.write_text("\n".join(notes), encoding="utf-8")
    return [*written, path]


def _confusion_png(
    folder: Path,
    name: str,
    gold: Sequence[Document],
    pred: Sequence[Document],
    labels: Sequence[str],
) -> Path:
    """The confusion matrix of ``name``'s entity labels against the gold, by span (``O``: no
    entity on that span), as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    truth, guess = [], []
    for g, p in zip(gold, pred, strict=True):
        by_span = {(e.start, e.end): e.label for e in p.entities}
        gold_spans = {(e.start, e.end) for e in g.entities}
        truth += [e.label for e in g.entities]
        guess += [by_span.get((e.start, e.end), "O") for e in g.entities]
        truth += ["O" for e in p.entities if (e.start, e.end) not in gold_spans]
        guess += [e.label for e in p.entities if (e.start, e.end) not in gold_spans]
    fig, ax = plt.subplots(figsize=(7, 6))
    ConfusionMatrixDisplay.from_predictions(
        truth, guess, labels=[*labels, "O"], ax=ax, colorbar=False
    )
    ax.set_title(f"{name}: gold (rows) vs predicted (columns) on test, by span")
    path = folder / f"confusion-{name}.png"
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _displacy_page(
    folder: Path, name: str, gold: Sequence[Document], pred: Sequence[Document]
) -> Path:
    """One HTML page with each test document's gold entities above ``name``'s."""
    from spacy import displacy

    pages = []
    for g, p in zip(gold, pred, strict=True):
        for title, doc in ((f"{g.doc_id}: gold", g), (f"{g.doc_id}: {name}", p)):
            pages.append(
                {
                    "text": doc.text,
                    "title": title,
                    "ents": [
                        {"start": e.start, "end": e.end, "label": e.label} for e in doc.entities
                    ],
                }
            )
    path = folder / f"gold-vs-{name}.html"
    path.write_text(displacy.render(pages, style="ent", manual=True, page=True), encoding="utf-8")
    return path
