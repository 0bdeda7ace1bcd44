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

from frontline.baselines.registry import ENTITY_MODELS, TRANSFORMER_ENTITY_MODELS, System
from frontline.core.documents import Document
from frontline.core.markdown import RESULTS, markdown_table

ENTITY_HEADER = (
    "system",
    "strict F1 [95% CI]",
    "seeds: mean ± std",
    "strict P",
    "strict R",
    "macro F1",
    "exact F1",
    "partial F1",
    "type F1",
)
RELATION_HEADER = (
    "system",
    "entities",
    "strict F1 [95% CI]",
    "seeds: mean ± std",
    "strict P",
    "strict R",
    "macro F1",
    "boundaries F1",
    "reversed",
)
CROSS_VALIDATION_HEADER = ("system", "mean", "std", "folds")


def _f3(x: float) -> str:
    return f"{x:.3f}"


def _ci(block: dict[str, Any]) -> str:
    lo, hi = block["f1_ci95"]
    return f"{block['f1']:.3f} [{lo:.3f}, {hi:.3f}]"


def _seeds(results: dict[str, Any], group: str, name: str) -> str:
    """``mean ± std`` over the seeds of a trained system, ``n/a`` for one that has no seed."""
    block = results.get("seeds", {}).get(group, {}).get(name)
    block = block or results.get("transformer", {}).get("seeds", {}).get(group, {}).get(name)
    return f"{block['mean']:.3f} ± {block['std']:.3f}" if block else "n/a"


def _with_transformer(results: dict[str, Any], *keys: str) -> dict[str, Any]:
    """The systems under ``keys`` (``entities``; ``relations``, ``gold_entities``) of the
    classic run and of the transformer run, if one is recorded."""
    found = dict(_get(results, keys))
    found.update(_get(results.get("transformer", {}), keys))
    return found


def _get(block: dict[str, Any], keys: Sequence[str]) -> dict[str, Any]:
    for key in keys:
        block = block.get(key, {})
    return block


def _by_strict_f1(systems: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The systems, best strict F1 first, ties by name."""
    return sorted(systems.items(), key=lambda kv: (-kv[1]["strict"]["f1"], kv[0]))


def entity_table(results: dict[str, Any]) -> str:
    """The entity recognition scores on test, with their introduction."""
    rows = [
        (
            name,
            _ci(s["strict"]),
            _seeds(results, "entities", name),
            *(_f3(s["strict"][k]) for k in ("precision", "recall", "macro_f1")),
            *(_f3(s[k]["f1"]) for k in ("exact", "partial", "type")),
        )
        for name, s in _by_strict_f1(_with_transformer(results, "entities"))
    ]
    return (
        "Entity recognition on `test` (strict = exact span and type; F1 with 95% bootstrap CI "
        f"over test documents, {results['bootstrap']['resamples']} resamples):\n\n"
        + markdown_table(ENTITY_HEADER, rows)
    )


def relation_table(results: dict[str, Any]) -> str:
    """The relation extraction scores on test, given gold entities and end to end."""
    e2e = results["relations"]["end_to_end_entity_model"]
    titles = {name: e2e for name in results["relations"]["end_to_end"]}
    transformer = results.get("transformer", {}).get("relations")
    if transformer:
        titles |= {
            name: transformer["end_to_end_entity_model"] for name in transformer["end_to_end"]
        }
    rows = [
        (
            name,
            "gold" if setting == "gold_entities" else titles[name],
            _ci(s["strict"]),
            _seeds(results, "relations_gold_entities", name)
            if setting == "gold_entities"
            else "n/a",
            *(_f3(s["strict"][k]) for k in ("precision", "recall", "macro_f1")),
            _f3(s["boundaries"]["f1"]),
            s["reversed_direction"],
        )
        for setting in ("gold_entities", "end_to_end")
        for name, s in _by_strict_f1(_with_transformer(results, "relations", setting))
    ]
    own = ""
    if transformer:
        theirs = transformer["end_to_end_entity_model"]
        own = f"; the transformer's relation model uses those of `{theirs}`"
    return (
        "Relation extraction on `test` (strict: both spans, both entity types and the relation "
        "type right; boundaries: entity types ignored). End to end uses the entities of "
        f"`{e2e}`, the best entity model on validation{own}:\n\n"
        + markdown_table(RELATION_HEADER, rows)
    )


def seeds_note(results: dict[str, Any]) -> str:
    """What the seeds column means and how the models were chosen ("" without seeds)."""
    seeds = results.get("seeds")
    if not seeds:
        return ""
    return (
        f'Seeds: the CI is over test documents for seed {seeds["seeds"][0]}; "seeds" is the '
        f"test strict F1 over seeds {', '.join(map(str, seeds['seeds']))} (C fixed to the tuned "
        "value; scikit-learn's lbfgs solver is deterministic, so its seeds agree). Model "
        f"selection: {results['model_selection']}."
    )


def rare_note(results: dict[str, Any]) -> str:
    """The labels too rare on test to score per label ("" when none is recorded)."""
    rare = results.get("rare_labels", {}).get("test")
    if not rare:
        return ""
    named = [
        f"{k} ({v})" for part in ("entities", "relations") for k, v in sorted(rare[part].items())
    ]
    return (
        "Too rare on `test` to score per label (fewer than 10 gold instances; they weigh in the "
        f"macro F1 all the same): {', '.join(named) if named else 'none'}."
    )


def reproducibility_note(results: dict[str, Any]) -> str:
    """Which figures are exact, how, and what the pinning guards against ("" when not
    recorded)."""
    rep = results.get("reproducibility")
    if not rep:
        return ""
    text = (
        "Reproducibility: exact on every x86-64 machine with AVX2 and FMA and the pinned "
        f"versions (`reproducibility.numerics` in `results.json`): {rep['exact']}; "
        f"{rep['blis']}."
    )
    spread = rep.get("spacy_ner_spread")
    if spread:
        text += (
            " What the pinned numerics guard against: with other OpenBLAS kernels and thread "
            f"counts, spacy-ner's test strict F1 moves by {spread['strict_f1_range']:.4f} "
            f"({spread['strict_f1_min']:.4f} to {spread['strict_f1_max']:.4f}) over "
            f"{len(spread['runs'])} settings (`scripts/numerics_spread.py`)."
        )
    return text


def transformer_note(results: dict[str, Any]) -> str:
    """How the transformer rows were made and what is promised about them ("" when none)."""
    run = results.get("transformer")
    if not run:
        return ""
    epochs = "; ".join(
        f"{name}: epochs {', '.join(str(x['epoch']) for x in spread.get('selected', []))}"
        for group in ("entities", "relations_gold_entities")
        for name, spread in sorted(run["seeds"][group].items())
    )
    settings = "; ".join(
        f"{name}: at most {s['max_epochs']} epochs (patience {s['patience']}), learning rate "
        f"{s['learning_rate']:g}, batch {s['batch_size']}"
        for name, s in sorted(run["settings"].items())
    )
    packages = ", ".join(f"{k} {v}" for k, v in sorted(run["packages"].items()))
    rep = run["reproducibility"]
    return (
        "Transformers (`frontline baselines --systems transformer`): all-MiniLM-L6-v2 "
        f"(22M parameters) fine-tuned on `train` on the CPU with {rep['threads']} threads and "
        f"torch's deterministic algorithms ({packages}); {settings}; the epoch kept is the best "
        f"on validation (strict F1 rounded to 2 decimals, ties to the earlier), per seed: "
        f"{epochs}. Same machine: {rep['same_machine']}. Other machines: "
        f"{rep['other_machines']}."
    )


def significance_list(results: dict[str, Any]) -> str:
    """The paired bootstrap p-values, one line each."""
    lines = [
        "Paired bootstrap p-values (one-sided: the better system does not beat the next one):",
        "",
    ]
    lines += [
        f"- {group}: {row['against']} vs {row['system']}: p = {row['p_value']:.3f}"
        for group, rows in sorted(results["significance"].items())
        for row in rows
    ]
    transformer = results.get("transformer", {}).get("significance", {})
    lines += [
        f"- {group}: {row['against']} vs {row['system']}: p = {row['p_value']:.3f}"
        f" (transformer run, against the best classic system)"
        for group, rows in sorted(transformer.items())
        for row in rows
    ]
    return "\n".join(lines)


def cross_validation_table(results: dict[str, Any]) -> str:
    """The k-fold cross-validation scores ("" when not run)."""
    cv = results.get("cross_validation")
    if not cv:
        return ""
    rows = [
        (name, _f3(s["mean"]), _f3(s["std"]), ", ".join(map(_f3, s["folds"])))
        for name, s in sorted(cv["strict_f1"].items())
    ]
    return (
        f"Document-level {cv['k']}-fold cross-validation over all released articles (strict F1, "
        "C fixed to the tuned value; the spaCy pipeline is left out to keep the run under 10 "
        "minutes on 2 cores):\n\n" + markdown_table(CROSS_VALIDATION_HEADER, rows)
    )


def table(results: dict[str, Any]) -> str:
    """The Markdown tables and notes of the headline scores (every dict is iterated in sorted
    order, so the text is the same whether ``results`` comes from a run or from reading
    results.json); the parts a run did not record are left out."""
    parts = (
        entity_table,
        relation_table,
        seeds_note,
        rare_note,
        reproducibility_note,
        transformer_note,
        significance_list,
        cross_validation_table,
    )
    return "\n\n".join(text for part in parts if (text := part(results)))


def results_markdown(results: dict[str, Any]) -> str:
    """``baselines/RESULTS.md``: the run's data checksum, seed, packages and split sizes, then
    :func:`table` between the markers :data:`frontline.core.markdown.RESULTS` (the card
    takes the table from there)."""
    meta = results["run"]
    packages = ", ".join(f"{k} {v}" for k, v in meta["packages"].items())
    return "\n".join(
        [
            "# Baseline results",
            "",
            "Generated by `frontline baselines` from `baselines/results.json`; "
            "do not edit by hand.",
            "",
            f"Dataset checksum (sha256 of the parquet files): `{meta['dataset_sha256']}`. "
            f"Seed {meta['seed']}. Packages: {packages}. Test articles: "
            f"{meta['n_test_documents']}, validation: {meta['n_validation_documents']}, "
            f"train: {meta['n_train_documents']}.",
            "",
            RESULTS[0],
            table(results),
            RESULTS[1],
            "",
        ]
    )


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
    for kind in (*ENTITY_MODELS, *TRANSFORMER_ENTITY_MODELS):
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
