"""Validation strict F1 of the MiniLM relation classifier per epoch, for a longer schedule than
the recorded one: ``python scripts/relation_epochs.py EPOCHS NEGATIVE_SHARE LEARNING_RATE [SEED]``.

Validation only (the test split is not read). Run it with the pinned torch environment
(``frontline.baselines.numerics.TORCH``) for figures comparable with the recorded ones.
"""

import dataclasses
import sys
import time
from pathlib import Path

from frontline.baselines import suite, transformer
from frontline.baselines.models import Training
from frontline.core.scheme import load_scheme

ROOT = Path(__file__).resolve().parents[1]


def main(epochs: int, share: float, rate: float, seed: int) -> None:
    """Train once with ``epochs`` epochs and no early stop; print each epoch's score and time."""
    scheme = load_scheme(ROOT / "annotation" / "scheme.toml")
    data = suite.load_data(ROOT / "corpus", scheme)
    transformer.MiniLMRelations.settings = dataclasses.replace(
        transformer.RELATION_SETTINGS,
        max_epochs=epochs,
        patience=epochs,
        negative_share=share,
        learning_rate=rate,
    )
    fit = transformer.fit_network

    def timed_fit(net, items, settings, seed, validate, *rest):  # type: ignore[no-untyped-def]
        last = [time.perf_counter()]

        def scored() -> float:
            score, now = validate(), time.perf_counter()
            print(f"epoch: validation strict F1 {score:.4f}, {now - last[0]:.0f} s", flush=True)
            last[0] = now
            return score

        return fit(net, items, settings, seed, scored, *rest)

    transformer.fit_network = timed_fit
    training = Training(data.train, data.validation, scheme.entity_names)
    print(transformer.MiniLMRelations.fit(training, seed=seed).selected())


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        int(args[0]), float(args[1]), float(args[2]), int(args[3]) if len(args) > 3 else suite.SEED
    )
