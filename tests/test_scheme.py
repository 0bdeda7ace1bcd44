from pathlib import Path

import pytest

from frontline.core.scheme import SchemeError, load_scheme


def test_real_scheme_labels_in_order(repo):
    scheme = load_scheme(repo.scheme)
    assert scheme.entity_names == ["PER", "ORG", "GPE", "LOC", "FAC", "NORP", "GROUP"]
    assert scheme.relation_names == [
        "SUPPORTS",
        "ATTACKS",
        "CONTROLS",
        "LEADS",
        "MEMBER_OF",
        "LOCATED_IN",
        "MEETS",
    ]


def test_iob2_tags_derived_from_entities(repo):
    tags = load_scheme(repo.scheme).iob2_tags()
    assert tags[:5] == ["O", "B-PER", "I-PER", "B-ORG", "I-ORG"]
    assert len(tags) == 15
    assert tags[-2:] == ["B-GROUP", "I-GROUP"]


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "scheme.toml"
    path.write_text('version = "9"\ninstructions = "x"\n' + body, encoding="utf-8")
    return path


ENT = '[[entity]]\nname = "{n}"\ncolor = "{c}"\nhotkey = "{k}"\ndescription = "d"\n'
REL = (
    '[[relation]]\nname = "R"\ncolor = "#000009"\ndescription = "d"\nheads = ["A"]\ntails = ["A"]\n'
)


def test_duplicate_label_is_named(tmp_path):
    body = ENT.format(n="PER", c="#000001", k="1") + ENT.format(n="PER", c="#000002", k="2") + REL
    with pytest.raises(SchemeError, match="duplicate label 'PER'"):
        load_scheme(_write(tmp_path, body))


def test_bad_colour_and_shared_hotkey_are_named(tmp_path):
    body = ENT.format(n="A", c="red", k="1") + ENT.format(n="B", c="#000002", k="1") + REL
    with pytest.raises(SchemeError) as err:
        load_scheme(_write(tmp_path, body))
    assert "A: colour 'red' is not #rrggbb" in str(err.value)
    assert "hotkey '1' is used twice" in str(err.value)


def test_missing_field_is_an_error(tmp_path):
    with pytest.raises(SchemeError, match="malformed scheme"):
        load_scheme(_write(tmp_path, '[[entity]]\nname = "A"\n' + REL))


def test_each_relation_allows_its_heads_and_tails_only(repo):
    relations = {x.name: x for x in load_scheme(repo.scheme).relations}
    assert relations["LEADS"].allows("PER", "GPE")
    assert not relations["LEADS"].allows("PER", "NORP")
    assert not relations["LOCATED_IN"].allows("GROUP", "PER")
    assert relations["LOCATED_IN"].allows("GROUP", "FAC")
    assert not relations["MEETS"].allows("NORP", "PER")


def test_heads_and_tails_must_name_entity_labels(tmp_path):
    body = ENT.format(n="A", c="#000001", k="1") + REL.replace('tails = ["A"]', 'tails = ["B"]')
    with pytest.raises(SchemeError, match=r"R: tails \['B'\] are not labels"):
        load_scheme(_write(tmp_path, body))
    empty = ENT.format(n="A", c="#000001", k="1") + REL.replace('heads = ["A"]', "heads = []")
    with pytest.raises(SchemeError, match="R: no heads"):
        load_scheme(_write(tmp_path, empty))
