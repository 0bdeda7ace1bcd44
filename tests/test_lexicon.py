"""The lexicon: longest match on token boundaries, majority label, versions."""

from fixtures import DOC

from frontline.baselines.lexicon import Lexicon

LABELS = ["PER", "ORG", "GPE", "LOC", "FAC", "NORP", "GROUP"]


def test_longest_match_first_on_token_boundaries() -> None:
    lexicon = Lexicon([DOC], LABELS)
    text = "Iranian jets hit Iraqi militias near Aleppo; Iran denied it."
    found = [(e.start, e.end, e.label, e.text) for e in lexicon.predict("x", text).entities]
    assert found == [
        (17, 31, "GROUP", "Iraqi militias"),
        (37, 43, "GPE", "Aleppo"),
        (45, 49, "GPE", "Iran"),
    ]


def test_majority_label_wins_and_version_depends_on_entries() -> None:
    from frontline.core.documents import Document, Entity

    docs = [
        Document(
            "a",
            "Kurds Kurds Kurds",
            (
                Entity(0, 5, "NORP", "Kurds", "1"),
                Entity(6, 11, "GROUP", "Kurds", "2"),
                Entity(12, 17, "NORP", "Kurds", "3"),
            ),
            (),
        )
    ]
    lexicon = Lexicon(docs, LABELS)
    assert lexicon.entries == {("Kurds",): "NORP"}
    assert lexicon.version != Lexicon([DOC], LABELS).version
    assert lexicon.version.startswith("lexicon-")


def test_empty_lexicon_predicts_nothing() -> None:
    assert Lexicon([], LABELS).predict("x", "Rebels took Aleppo.").entities == ()
