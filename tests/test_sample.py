"""Which articles are double-annotated, and the annotation batches."""

from frontline.core.articles import load_articles
from frontline.gold.sample import ADDED_IN_1_2, batch_of, double_annotation_sample


def test_the_sample_is_a_seeded_draw_that_keeps_the_fixed_article():
    ids = [f"a{i}" for i in range(8)]
    drawn = double_annotation_sample(ids, 0.25, seed=3, always="a0")
    assert len(drawn) == 2 and "a0" in drawn
    assert drawn == double_annotation_sample(list(reversed(ids)), 0.25, seed=3, always="a0")


def test_batch_1_2_is_the_31_articles_dataset_1_2_added(repo):
    ids = {a.id for a in load_articles(repo.seeds)}
    assert len(ADDED_IN_1_2) == 31 and ADDED_IN_1_2 <= ids
    assert sum(batch_of(i) == "1.0" for i in ids) == 55


def test_batch_1_2_has_its_own_quarter_sample_the_blind_sheets_cover(repo):
    drawn = double_annotation_sample(sorted(ADDED_IN_1_2), always="")
    assert len(drawn) == 8
    blind = {p.stem for p in (repo.annotation / "sheets-blind").glob("*.sheet")}
    assert set(drawn) <= blind


def test_the_agreement_sample_is_14_old_and_8_new_articles_all_double_annotated(repo):
    from frontline.gold.sample import agreement_sample

    ids = [a.id for a in load_articles(repo.seeds)]
    sample = agreement_sample(ids)
    assert len(sample) == 22 and "000_2deeeecf94034bb2" in sample
    assert sum(i in ADDED_IN_1_2 for i in sample) == 8
    blind = {p.stem for p in (repo.annotation / "sheets-blind").glob("*.sheet")}
    assert set(sample) == blind
