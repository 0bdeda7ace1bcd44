"""Which articles are double-annotated: a fixed-seed random sample that includes the seed
article."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

SEED_ARTICLE = "000_2deeeecf94034bb2"
SAMPLE_SEED = 20241202
SAMPLE_FRACTION = 0.25

#: The 31 articles dataset 1.2 added (``../shared/sources/wikinews-conflict-2.jsonl`` and
#: ``-3.jsonl``), annotated under guidelines 2.0; its double-annotation sample is drawn from
#: them alone: ``double_annotation_sample(ADDED_IN_1_2, always="")``.
ADDED_IN_1_2 = frozenset(
    {
        "wikinews-2007-12-31-grandfather-held-in-guantanamo-dies-of-cancer",
        "wikinews-2008-02-14-six-dead-in-campus-shooting-at-northern-illinois-university",
        "wikinews-2008-02-28-kenyan-government-and-opposition-agree-on-power-sharing",
        "wikinews-2008-03-19-george-bush-discusses-iraq-5-years-after-invasion",
        "wikinews-2008-08-30-south-ossetia-says-it-will-join-north-ossetia-alania-as-a",
        "wikinews-2009-01-11-waves-of-arrests-in-turkey-on-suspicion-of-involvement-in",
        "wikinews-2009-10-22-shelling-in-somalia-s-capital-kills-twenty",
        "wikinews-2010-05-24-us-and-south-korea-to-conduct-naval-exercises-in-response",
        "wikinews-2010-08-07-revenge-killings-follow-shooting-of-karachi-politician",
        "wikinews-2013-11-25-iran-to-reduce-nuclear-enrichment-in-exchange-for-sanctions",
        "wikinews-2015-01-12-millions-march-in-france-and-around-the-world-in-support-of",
        "wikinews-2016-03-22-explosions-at-brussels-airport-and-subway-systems",
        "wikinews-2017-02-11-yemen-requests-reevaluation-of-u-s-ground-operations-on-its",
        "wikinews-2018-03-14-state-of-emergency-in-sri-lanka-remains-despite-calm",
        "wikinews-2019-01-23-germany-bans-mahan-air-of-iran-citing-security",
        "wikinews-2019-01-24-car-bomb-ramming-attack-kills-dozens-at-military-base-in",
        "wikinews-2019-01-28-bombs-kill-at-least-20-at-cathedral-in-mindanao-philippines",
        "wikinews-2019-03-17-new-zealand-mosque-murder-suspect-appears-in-court-at",
        "wikinews-2019-07-08-tunisian-prime-minister-signs-decree-to-ban-face-veils-in",
        "wikinews-2019-09-15-oil-facilities-in-saudi-arabia-hit-by-drone-attacks",
        "wikinews-2019-09-17-us-president-trump-says-osama-bin-laden-s-son-killed",
        "wikinews-2019-09-23-iran-s-president-rouhani-tells-foreign-powers-to-leave",
        "wikinews-2019-10-02-police-shoot-teenage-protester-as-hong-kong-demonstrations",
        "wikinews-2019-10-08-us-president-trump-announces-troop-withdrawal-from-syria",
        "wikinews-2019-10-15-kurds-announce-deal-with-assad-s-government-as-turkey",
        "wikinews-2019-11-10-coalition-authorities-report-no-casualties-from-missile",
        "wikinews-2019-12-02-bystanders-foil-knife-weilding-man-on-london-bridge-with",
        "wikinews-2020-01-05-united-states-military-kills-qasem-soleimani",
        "wikinews-2020-01-11-cairo-summit-denounces-turkish-libyan-maritime-border",
        "wikinews-2020-02-05-police-shoot-man-dead-after-terrorist-related-knife-attack",
        "wikinews-2020-11-22-suspect-in-kenosha-wisconsin-protester-killings-released",
    }
)


def batch_of(doc_id: str) -> str:
    """The annotation batch of an article, named by the dataset version that added it: "1.2"
    for :data:`ADDED_IN_1_2`, else "1.0" (the 55 articles annotated under guidelines 1.x).

    >>> batch_of("000_2deeeecf94034bb2")
    '1.0'
    """
    return "1.2" if doc_id in ADDED_IN_1_2 else "1.0"


def double_annotation_sample(
    doc_ids: Sequence[str],
    fraction: float = SAMPLE_FRACTION,
    seed: int = SAMPLE_SEED,
    always: str = SEED_ARTICLE,
) -> list[str]:
    """``ceil(fraction * n)`` ids: ``always`` plus a seeded random draw from the rest, sorted.

    >>> double_annotation_sample(["a", "b", "c", "d"], 0.5, seed=1, always="a")
    ['a', 'b']
    """
    fixed = [always] if always in doc_ids else []
    rest = sorted(d for d in doc_ids if d != always)
    drawn = random.Random(seed).sample(rest, math.ceil(fraction * len(doc_ids)) - len(fixed))
    return sorted([*fixed, *drawn])


def agreement_sample(doc_ids: Sequence[str]) -> list[str]:
    """The double-annotated articles among ``doc_ids``: the sample of each batch
    (:func:`batch_of`) drawn from that batch alone; the seed article is in batch 1.0's.

    >>> len(agreement_sample([f"x{i}" for i in range(8)]))
    2
    """
    batches: dict[str, list[str]] = {}
    for doc_id in doc_ids:
        batches.setdefault(batch_of(doc_id), []).append(doc_id)
    return sorted(
        doc_id
        for name, ids in batches.items()
        for doc_id in double_annotation_sample(ids, always=SEED_ARTICLE if name == "1.0" else "")
    )
