from fixtures import ENTITIES, TEXT


def test_fixture_offsets_match_text():
    for ent in ENTITIES:
        assert TEXT[ent.start : ent.end] == ent.text
