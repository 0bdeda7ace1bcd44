"""Which settings change the transformer baselines' numbers (issue 19): measured, not guessed.

Each setting runs a child process that fine-tunes minilm-ner for one epoch on the first
``--docs`` training articles with the recorded seed, then predicts the validation articles;
it prints a SHA-256 of the trained weights and of the validation logits, and the validation
strict F1. The settings are applied over the pinned numerical environment of ``frontline
baselines`` (``frontline.baselines.numerics.pinned_environment``): torch's thread count
(pinned: 2), ATen's CPU kernels (``ATEN_CPU_CAPABILITY``, pinned: avx2), MKL's code path
(``MKL_CBWR``, pinned: AVX2; ``MKL_ENABLE_INSTRUCTIONS``) and oneDNN's
(``ONEDNN_MAX_CPU_ISA``). Two settings with the same hashes computed the same bits. Usage::

    python scripts/transformer_numerics.py [--docs 4] [--output baselines/transformer_numerics.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from frontline.baselines import numerics

# (name, torch threads, environment over the pinned one)
SETTINGS: list[tuple[str, int, dict[str, str]]] = [
    ("pinned, 2 threads", 2, {}),
    ("pinned, 2 threads, again", 2, {}),
    ("1 thread", 1, {}),
    ("3 threads", 3, {}),
    ("ATEN_CPU_CAPABILITY=avx512", 2, {"ATEN_CPU_CAPABILITY": "avx512"}),
    ("ATEN_CPU_CAPABILITY=default", 2, {"ATEN_CPU_CAPABILITY": "default"}),
    ("MKL_CBWR=COMPATIBLE", 2, {"MKL_CBWR": "COMPATIBLE"}),
    ("MKL_CBWR unset (MKL's own path)", 2, {"MKL_CBWR": ""}),
    ("MKL_ENABLE_INSTRUCTIONS=AVX2", 2, {"MKL_ENABLE_INSTRUCTIONS": "AVX2"}),
    ("ONEDNN_MAX_CPU_ISA=AVX2", 2, {"ONEDNN_MAX_CPU_ISA": "AVX2"}),
]


ENVIRONMENT = ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS", "ONEDNN_MAX_CPU_ISA")


def child(docs: int, threads: int) -> None:
    """Fine-tune minilm-ner for one epoch on ``docs`` training articles with ``threads``
    threads; print the hashes of its weights and validation logits and its validation F1."""
    import torch

    from frontline.baselines import suite, transformer
    from frontline.baselines.models import Training
    from frontline.core.paths import find_project
    from frontline.core.scheme import load_scheme

    project = find_project(None)
    scheme = load_scheme(project.scheme)
    data = suite.load_data(project.corpus, scheme)
    transformer.THREADS = threads  # read by transformer.deterministic when fit starts
    kind = transformer.MiniLMNer
    kind.settings = dataclasses.replace(kind.settings, max_epochs=1)
    model = kind.fit(Training(data.train[:docs], [], scheme.entity_names), seed=suite.SEED)
    weights = hashlib.sha256()
    for name, tensor in sorted(model.net.state_dict().items()):
        weights.update(name.encode() + tensor.contiguous().numpy().tobytes())
    items = [
        part
        for d in data.validation
        for words in transformer.sentence_words(d.text)
        for part in transformer.tag_sequences(
            model.tokenizer, words, [0] * len(words), kind.settings.max_length
        )
    ]
    logits = hashlib.sha256()
    for rows in transformer.predict_logits(model.net, items, 64):
        logits.update(rows.contiguous().numpy().tobytes())
    print(
        json.dumps(
            {
                "weights_sha256": weights.hexdigest()[:16],
                "logits_sha256": logits.hexdigest()[:16],
                "validation_strict_f1": round(suite.ner_f1(model, data.validation, scheme), 4),
                "threads": torch.get_num_threads(),
                "cpu_capability": torch.backends.cpu.get_cpu_capability(),
                "environment": {k: os.environ.get(k, "") for k in ENVIRONMENT},
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=6)
    parser.add_argument("--output", type=Path)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.docs, args.child)
        return
    runs = []
    for name, threads, extra in SETTINGS:
        env = {k: v for k, v in {**numerics.pinned_environment(), **extra}.items() if v}
        out = subprocess.run(
            [sys.executable, __file__, "--docs", str(args.docs), "--child", str(threads)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        record = {"setting": name, **json.loads(out.stdout.strip().splitlines()[-1])}
        print(json.dumps(record), flush=True)
        runs.append(record)
    if args.output:
        record = {"cpu_model": numerics.cpu_model(), "docs": args.docs, "runs": runs}
        args.output.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
