import json

import pytest

from frontline.gold.sample import SEED_ARTICLE
from frontline.release.splits import SPLIT_SALT, assign_splits, is_open_licence, position, split_of

IDS = [f"w{i:03d}" for i in range(400)]


def test_position_is_the_salted_sha256_prefix():
    import hashlib

    digest = hashlib.sha256(b"frontline-split-1758:w000").hexdigest()
    assert position("w000") == int(digest[:16], 16) / 2**64
    assert position("w000", salt=SPLIT_SALT + 1) != position("w000")


def test_an_articles_split_does_not_depend_on_the_other_articles():
    whole = assign_splits({d: "CC BY 2.5" for d in IDS})
    assert assign_splits({d: "CC BY 2.5" for d in IDS[:7]}) == {d: whole[d] for d in IDS[:7]}
    assert assign_splits([(d, "CC BY 2.5") for d in reversed(IDS)]) == whole


def test_fractions_are_roughly_those_of_the_rule():
    counts = {
        s: list(assign_splits({d: "public domain" for d in IDS}).values()).count(s)
        for s in ("train", "validation", "test")
    }
    assert sum(counts.values()) == 400
    assert 60 <= counts["test"] <= 100 and 40 <= counts["validation"] <= 80


@pytest.mark.parametrize("licence", ["not stated", "All rights reserved", "", "cc by 2.5"])
def test_articles_without_an_open_licence_are_always_train(licence):
    assert not is_open_licence(licence)
    assert set(assign_splits({d: licence for d in IDS}).values()) == {"train"}


def test_released_articles_keep_the_split_of_dataset_1_1(repo):
    """The committed corpus was built by this rule: every article's split is what it says."""
    manifest = json.loads((repo.seeds / "manifest.json").read_text(encoding="utf-8"))
    import pyarrow.parquet as pq

    released = {}
    for split in ("train", "validation", "test"):
        for doc_id in pq.read_table(repo.corpus / "documents" / f"{split}.parquet", columns=["id"])[
            "id"
        ]:
            released[doc_id.as_py()] = split
    rule = {a["id"]: split_of(a["id"], a["license"]) for a in manifest["articles"]}
    assert released == {d: rule[d] for d in released}
    assert released[SEED_ARTICLE] == "train"
    assert all(
        is_open_licence(a["license"]) for a in manifest["articles"] if rule[a["id"]] != "train"
    )
