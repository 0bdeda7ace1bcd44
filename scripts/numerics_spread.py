"""How far spacy-ner's test score moves with the last bits of its arithmetic (issue 15).

The recorded figures are exact on every x86-64 machine because ``frontline baselines`` pins
the numerics (``frontline.baselines.numerics``, and ``frontline.baselines.blas`` for the
blis kernel in spaCy's parser). This script measures what that pinning guards against: it
trains and scores spacy-ner (the recorded seed) once under the pinned settings and once
under each of several other OpenBLAS kernels and thread counts, which change the last bits
of every matrix product the way an unpinned run on another CPU would
(``FRONTLINE_NUMERICS=as-is``), and writes the scores and their spread to
``baselines/spread.json``; ``frontline baselines`` copies it into ``results.json``. Takes
about a minute per setting on 2 cores. Usage::

    python scripts/numerics_spread.py [--output baselines/spread.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from frontline.baselines import numerics

# (name, settings over the as-is environment); the first is the pinned run itself
SETTINGS: list[tuple[str, dict[str, str]]] = [
    ("pinned", {}),
    ("OpenBLAS SkylakeX, 1 thread", {"OPENBLAS_CORETYPE": "SkylakeX", "OPENBLAS_NUM_THREADS": "1"}),
    (
        "OpenBLAS Sandybridge, 1 thread",
        {"OPENBLAS_CORETYPE": "Sandybridge", "OPENBLAS_NUM_THREADS": "1"},
    ),
    (
        "OpenBLAS Katmai (SSE), 1 thread",
        {"OPENBLAS_CORETYPE": "Katmai", "OPENBLAS_NUM_THREADS": "1"},
    ),
    ("OpenBLAS Haswell, 2 threads", {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "2"}),
]


def child() -> None:
    """Train spacy-ner with the recorded seed, print its test strict F1 and this platform."""
    from frontline.baselines import registry, suite
    from frontline.baselines.models import EntityModel, Training
    from frontline.core.paths import find_project
    from frontline.core.scheme import load_scheme

    project = find_project(None)
    scheme = load_scheme(project.scheme)
    data = suite.load_data(project.corpus, scheme)
    config = project.baselines / "configs" / "ner.cfg"
    training = Training(data.train, data.validation, scheme.entity_names, config)
    model = registry.entity_model("spacy-ner").fit(training, seed=suite.SEED)
    assert isinstance(model, EntityModel)
    f1 = suite.ner_f1(model, data.test, scheme)
    print(
        json.dumps(
            {
                "strict_f1": suite.rounded(f1),
                "dataset_sha256": data.checksum,
                "platform": numerics.platform_record(),
            }
        )
    )


def run(name: str, settings: dict[str, str]) -> dict[str, Any]:
    """Run :func:`child` under ``settings`` (``pinned``: the pinned environment) and return its
    record, named."""
    if name == "pinned":
        env = numerics.pinned_environment()
    else:
        env = {k: v for k, v in os.environ.items() if k not in numerics.OVERRIDDEN}
        env.update(settings, **{numerics.MARKER: "as-is"})
    out = subprocess.run(
        [sys.executable, __file__, "--child"], env=env, check=True, capture_output=True, text=True
    )
    record = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{name}: spacy-ner strict F1 {record['strict_f1']:.4f}", flush=True)
    return {"setting": name, **record}


def main() -> None:
    """Measure every setting of :data:`SETTINGS`; write the record to ``--output``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=Path("baselines/spread.json"))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    runs = [run(name, settings) for name, settings in SETTINGS]
    scores = [r["strict_f1"] for r in runs]
    record = {
        "dataset_sha256": runs[0]["dataset_sha256"],
        "measured_on": runs[0]["platform"]["cpu_model"],
        "runs": [
            {
                "setting": r["setting"],
                "strict_f1": r["strict_f1"],
                "blas_kernels": sorted(
                    {str(b["kernel"]) for b in r["platform"]["blas"] if b["library"] == "openblas"}
                ),
            }
            for r in runs
        ],
        "strict_f1_min": min(scores),
        "strict_f1_max": max(scores),
        "strict_f1_range": round(max(scores) - min(scores), 4),
    }
    tmp = args.output.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(args.output)
    print(f"wrote {args.output}: range {record['strict_f1_range']:.4f} over {len(runs)} settings")


if __name__ == "__main__":
    main()
