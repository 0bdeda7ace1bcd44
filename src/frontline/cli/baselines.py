"""The steps of ``frontline.baselines`` and ``frontline.eval``: run the baselines, score a file.

The steps that train models run in a child process with the pinned numerical environment
(:func:`pinned_child`), so that their numbers are the recorded ones.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from frontline.core.files import atomic_write
from frontline.core.markdown import splice
from frontline.core.paths import Project
from frontline.core.scheme import Scheme, load_scheme
from frontline.errors import CommandError
from frontline.eval.predictions import read_predictions, to_line

if TYPE_CHECKING:
    from frontline.baselines.suite import Data


def pinned_child(project: Project, quiet: bool, step: Sequence[str]) -> int | None:
    """Run ``frontline STEP`` in a child with the pinned numerical environment (its settings are
    read when the libraries load) and return its exit status; None when this process has it
    already (or ``FRONTLINE_NUMERICS=as-is`` asks for the machine's own)."""
    from frontline.baselines import numerics

    if os.environ.get(numerics.MARKER) == "as-is" or numerics.is_pinned():
        return None
    numerics.check_cpu()
    argv = [
        sys.executable,
        "-m",
        "frontline",
        "--root",
        str(project.root),
        *(["-q"] if quiet else []),
        *step,
    ]
    return subprocess.run(argv, env=numerics.pinned_environment(), check=False).returncode


def cmd_baselines(project: Project, args: argparse.Namespace) -> int:
    """``frontline baselines [--systems FAMILY]``: train, tune and score every baseline of the
    family (pinned numerics)."""
    code = pinned_child(project, args.quiet, ["baselines", "--systems", args.systems])
    return _run_baselines(project, args) if code is None else code


def _run_baselines(project: Project, args: argparse.Namespace) -> int:
    """Run the suite and write results.json, RESULTS.md, the README table and the predictions."""
    from frontline.baselines import report as results_mod
    from frontline.baselines import suite

    started = time.perf_counter()
    scheme = load_scheme(project.scheme)
    data = suite.load_data(project.corpus, scheme)
    if not (data.train and data.validation and data.test):
        raise CommandError(
            f"{project.corpus} needs train, validation and test articles with gold "
            f"(has {len(data.train)}, {len(data.validation)}, {len(data.test)})"
        )
    log = (lambda message: None) if args.quiet else (lambda message: print(message, flush=True))
    path = project.baselines / "results.json"
    with silenced(args.quiet):
        if args.systems == "transformer":
            found, predictions = _transformer_results(project, data, scheme, log)
        else:
            found, predictions = _results(project, data, scheme, log)
            found = _keep_recorded_transformer(found, path, data.checksum)
    found, verdict = suite.against_recorded(found, path)
    atomic_write(path, suite.results_json(found).encode("utf-8"))
    atomic_write(
        project.baselines / "RESULTS.md", results_mod.results_markdown(found).encode("utf-8")
    )
    readme = project.root / "README.md"
    block = results_mod.table(found)
    atomic_write(readme, splice(readme.read_text(encoding="utf-8"), block).encode("utf-8"))
    write_predictions(project.baselines / "predictions", predictions)
    written = results_mod.write_error_analysis(
        project.baselines / "errors",
        data.test,
        _committed_predictions(project, data, scheme, "transformer" in found) | predictions,
        scheme.entity_names,
    )
    print(block)
    print(
        f"wrote {path}, {project.baselines / 'RESULTS.md'}, the README table, "
        f"{len(written)} error-analysis files in {project.baselines / 'errors'}, the test "
        f"predictions in {project.baselines / 'predictions'}; "
        f"total {time.perf_counter() - started:.0f} s"
    )
    print(verdict)
    return 0


@contextlib.contextmanager
def silenced(quiet: bool) -> Iterator[None]:
    """With ``quiet``, what the libraries print on stdout while the models train (spaCy's
    training table and messages) goes nowhere; stderr (warnings, errors) is left alone."""
    if not quiet:
        yield
        return
    with open(os.devnull, "w", encoding="utf-8") as sink, contextlib.redirect_stdout(sink):
        yield


def _results(
    project: Project, data: Data, scheme: Scheme, log: Callable[[str], None]
) -> tuple[dict[str, Any], dict[str, list]]:
    """The record of a run of every baseline (scores, spreads, how it was run), and the test
    predictions of each."""
    from frontline.baselines import numerics, suite
    from frontline.release.dataset import DATASET_VERSION

    config = project.baselines / "configs" / "ner.cfg"
    found, predictions = suite.run(data, scheme, config, log)
    found["cross_validation"] = suite.cross_validation(data, scheme, log, found["tuning"])
    found["seeds"] = suite.seed_spread(data, scheme, config, found, log)
    found["bootstrap"] = {"resamples": suite.N_BOOTSTRAP, "level": 0.95, "seed": suite.SEED}
    found["model_selection"] = suite.SELECTION_RULE
    found["rare_labels"] = suite.rare_labels(data, scheme)
    found["reproducibility"] = suite.reproducibility(
        project.baselines / "spread.json", data.checksum
    )
    found["run"] = {
        "dataset_sha256": data.checksum,
        "dataset_version": DATASET_VERSION,
        "seed": suite.SEED,
        "packages": suite.package_versions(),
        "n_train_documents": len(data.train),
        "n_validation_documents": len(data.validation),
        "n_test_documents": len(data.test),
    }
    found["platform"] = numerics.platform_record()
    return found, predictions


def _keep_recorded_transformer(found: dict[str, Any], path: Path, checksum: str) -> dict[str, Any]:
    """``found`` (a classic run) with the recorded ``transformer`` block, if the recorded
    results hold one made on this dataset (``--systems transformer`` makes it)."""
    if not path.is_file():
        return found
    recorded = json.loads(path.read_text(encoding="utf-8")).get("transformer")
    if recorded and recorded.get("dataset_sha256") == checksum:
        return {**found, "transformer": recorded}
    return found


def _transformer_results(
    project: Project, data: Data, scheme: Scheme, log: Callable[[str], None]
) -> tuple[dict[str, Any], dict[str, list]]:
    """The recorded results with the ``transformer`` block made anew: the fine-tuned MiniLM
    models trained, scored and trained again over the seeds; and their test predictions."""
    from frontline.baselines import suite, transformer
    from frontline.baselines.registry import TRANSFORMER

    path = project.baselines / "results.json"
    if not path.is_file():
        raise CommandError(f"no {path}: run `frontline baselines` first (the classic systems)")
    recorded = json.loads(path.read_text(encoding="utf-8"))
    config = project.baselines / "configs" / "ner.cfg"
    found, predictions = suite.run(data, scheme, config, log, family=TRANSFORMER)
    seeds = suite.seed_spread(data, scheme, config, found, log, family=TRANSFORMER)
    block = {
        "dataset_sha256": data.checksum,
        "entities": found["entities"],
        "relations": found["relations"],
        "significance": _against_classic(project, data, scheme, predictions, recorded),
        "tuning": found["tuning"],
        "validation_entity_strict_f1": found["validation_entity_strict_f1"],
        "seeds": seeds,
        "settings": {k.name: k.settings.record() for k in transformer.models()},
        "packages": transformer.package_versions(),
        "reproducibility": transformer.reproducibility(),
    }
    return {**recorded, "transformer": block}, predictions


def _against_classic(
    project: Project,
    data: Data,
    scheme: Scheme,
    predictions: dict[str, list],
    recorded: dict[str, Any],
) -> dict[str, list[dict[str, Any]]]:
    """Paired bootstrap p-values of the transformer systems against the best classic system of
    each setting (by test strict F1; from its committed predictions), as ``significance``."""
    from frontline.baselines import suite
    from frontline.eval import bootstrap, metrics

    samples = bootstrap.resamples(len(data.test), suite.N_BOOTSTRAP, suite.SEED)
    classic = _committed_predictions(project, data, scheme, transformer=False, every_system=True)
    rel = recorded["relations"]
    settings = (
        ("entities_strict", metrics.entity_f1, recorded["entities"], ""),
        ("relations_gold_entities_strict", metrics.relation_f1, rel["gold_entities"], "@gold"),
        (
            "relations_end_to_end_strict",
            metrics.relation_f1,
            rel["end_to_end"],
            f"@{rel['end_to_end_entity_model']}",
        ),
    )
    out = {}
    for group, fn, systems, suffix in settings:
        best = max(sorted(systems), key=lambda n: systems[n]["strict"]["f1"]) + suffix
        mine = [label for label in predictions if _setting(label) == _setting(best)]
        per_doc = {
            label: suite.score(data.test, docs, scheme)
            for label, docs in [*((m, predictions[m]) for m in mine), (best, classic[best])]
        }
        ranked = sorted(per_doc, key=lambda n: (-fn(metrics.total(per_doc[n])), n))
        out[group] = [
            {
                "system": worse,
                "against": better,
                "p_value": suite.rounded(
                    bootstrap.paired_p_value(per_doc[better], per_doc[worse], fn, samples)
                ),
            }
            for better, worse in zip(ranked, ranked[1:], strict=False)
        ]
    return out


def _setting(label: str) -> str:
    """The setting a system label names: ``entities``, ``gold`` or ``end to end``."""
    if "@" not in label:
        return "entities"
    return "gold" if label.endswith("@gold") else "end to end"


def _committed_predictions(
    project: Project,
    data: Data,
    scheme: Scheme,
    transformer: bool = True,
    every_system: bool = False,
) -> dict[str, list]:
    """The committed test predictions of every registered entity model (for the error analysis
    of the models a run does not train), or of every system, keyed by system label. Without
    ``transformer`` (the recorded transformer results were made on another dataset, so their
    predictions do not cover this test split) the transformer models are left out."""
    from frontline.baselines.registry import ENTITY_MODELS, TRANSFORMER, TRANSFORMER_ENTITY_MODELS

    gold = {d.doc_id: d for d in data.test}
    folder = project.baselines / "predictions"
    if every_system:
        paths = sorted(folder.glob("*.jsonl"))
    else:
        paths = [folder / f"{k.name}.jsonl" for k in (*ENTITY_MODELS, *TRANSFORMER_ENTITY_MODELS)]
    if not transformer:
        names = {k.name for k in (*TRANSFORMER.entity_models, *TRANSFORMER.relation_models)}
        paths = [path for path in paths if path.stem.split(".")[0] not in names]
    out = {}
    for path in paths:
        if path.is_file():
            found = read_predictions(path, gold, scheme, "test")
            out[path.stem.replace(".", "@")] = [found[d.doc_id] for d in data.test]
    return out


def write_predictions(folder: Path, predictions: dict[str, list]) -> None:
    """One JSON Lines file of test predictions per system (``A@B`` is written ``A.B.jsonl``),
    each written whole or not at all."""
    for name, docs in predictions.items():
        lines = [json.dumps(to_line(d)) for d in docs]
        atomic_write(
            folder / f"{name.replace('@', '.')}.jsonl", ("\n".join(lines) + "\n").encode("utf-8")
        )


def cmd_evaluate(project: Project, args: argparse.Namespace) -> int:
    """``frontline evaluate FILE``: P/R/F1 of a predictions file on a split, with CIs."""
    from frontline.baselines import suite
    from frontline.eval import bootstrap
    from frontline.eval.predictions import summary_text

    scheme = load_scheme(project.scheme)
    data = suite.load_data(project.corpus, scheme)
    gold = {d.doc_id: d for d in getattr(data, args.split)}
    if not gold:
        raise CommandError(f"{project.corpus} has no documents in the {args.split} split")
    elsewhere = {
        d.doc_id: name
        for name in ("train", "validation", "test")
        if name != args.split
        for d in getattr(data, name)
    }
    path = Path(args.predictions)
    predicted = read_predictions(path, gold, scheme, args.split, elsewhere)
    ids = sorted(gold)
    per_doc = suite.score([gold[i] for i in ids], [predicted[i] for i in ids], scheme)
    samples = bootstrap.resamples(len(ids), suite.N_BOOTSTRAP, suite.SEED)
    summary = {
        "entities": suite.entity_summary(per_doc, scheme, samples),
        "relations": suite.relation_summary(per_doc, scheme, samples),
    }
    if args.json:
        print(json.dumps(summary, indent=2, sort_keys=True))
    else:
        print(
            f"{path.name} on the {args.split} split ({len(ids)} documents; "
            f"95% CI: {suite.N_BOOTSTRAP} bootstrap resamples of the documents)"
        )
        print(summary_text(summary))
        print("(per-label F1, relation counts: --json)")
    return 0
