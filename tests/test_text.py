import pytest

from frontline.core.text import parse, sentence_spans, word_tokens


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Troops left Basra.\nRebels held it.", [(0, 18), (19, 34)]),
        # abbreviations do not end sentences
        ("Aid came from the U.S. army. It helped.", [(0, 28), (29, 39)]),
        ('"It is calm," said Lt. Nate Christensen.', [(0, 40)]),
        ("Gen. Petraeus spoke.", [(0, 20)]),
        # a line break always ends a sentence, also without punctuation (datelines, headings)
        ("Sunday, October 25, 2009\n\nBombs hit Baghdad.", [(0, 24), (26, 44)]),
        # a quotation ending in !" or ?" goes on in lower case: one sentence
        ('Crowds chanting "Out!" filled Tehran.', [(0, 37)]),
        ("Or, \u2018How is it?\u2019 or not, he said.", [(0, 33)]),
        # ... but not before a capital, nor across a line break
        ('They shouted "Out!" Police came.', [(0, 19), (20, 32)]),
        ('They shouted "Out!"\nand left.', [(0, 19), (20, 29)]),
    ],
)
def test_sentence_spans(text, expected):
    assert sentence_spans(parse(text)) == expected


def test_word_tokens_offsets_match_text():
    text = "Tehran’s support\n\nfor Assad"
    tokens = word_tokens(parse(text))
    assert tokens == [
        ("Tehran", 0, 6),
        ("’s", 6, 8),
        ("support", 9, 16),
        ("for", 18, 21),
        ("Assad", 22, 27),
    ]
    assert all(text[s:e] == t for t, s, e in tokens)


def test_dash_after_an_abbreviation_splits():
    assert [t.text for t in parse("U.S.-supported and U.S.–Mexico border")] == [
        "U.S.",
        "-",
        "supported",
        "and",
        "U.S.",
        "–",
        "Mexico",
        "border",
    ]


def test_abbreviation_at_the_end_of_a_sentence_keeps_its_dot():
    assert [t.text for t in parse("made in the U.S.. Then")] == [
        "made",
        "in",
        "the",
        "U.S.",
        ".",
        "Then",
    ]


def test_parse_is_deterministic():
    text = "Rebels took Aleppo. Government forces fled to Hama."
    assert [t.text for t in parse(text)] == [t.text for t in parse(text)]


PRIMED_TEXTS = [
    "Troops left Basra.\nRebels held it.",
    "Gen. Smith said so. U.S.-backed units withdrew.",
    "Troops left Basra.\nRebels held it.",
]


def test_primed_parses_equal_parses_one_at_a_time():
    from spacy.attrs import IDX, IS_SPACE, SENT_START

    from frontline.core.text import Parses

    parses = Parses(PRIMED_TEXTS)
    assert len(parses.primed) == 2  # one parse per distinct text
    for text in PRIMED_TEXTS:
        primed, alone = parses.doc(text), parse(text)
        assert primed is parses.primed[text]
        assert [t.text for t in primed] == [t.text for t in alone]
        assert (
            primed.to_array([IDX, IS_SPACE, SENT_START])
            == alone.to_array([IDX, IS_SPACE, SENT_START])
        ).all()
        assert parses.sentences(text) == tuple(sentence_spans(alone))
    assert Parses([]).primed == {}


def test_parses_remember_the_last_texts_parsed_alone():
    from frontline.core.text import Parses

    parses = Parses(recent=2)
    first = parses.doc("Rebels took Aleppo.")
    assert parses.doc("Rebels took Aleppo.") is first
    assert parses.sentences("Rebels took Aleppo.") == ((0, 19),)
    parses.doc("Troops left Basra.")
    parses.doc("Gen. Smith said so.")
    assert parses.doc("Rebels took Aleppo.") is not first  # pushed out by two others
    assert parses.primed == {}


def test_shared_parses_are_scoped_to_the_with_block():
    from frontline.core import text as text_module
    from frontline.core.text import prime, primed, shared_parse, shared_sentences

    prime([])
    outside = shared_parse(PRIMED_TEXTS[1])
    with primed(PRIMED_TEXTS) as parses:
        assert len(parses.primed) == 2
        assert shared_parse(PRIMED_TEXTS[0]) is parses.primed[PRIMED_TEXTS[0]]
        assert shared_sentences(PRIMED_TEXTS[0]) == parses.sentences(PRIMED_TEXTS[0])
        assert shared_parse(PRIMED_TEXTS[1]) is not outside
    assert shared_parse(PRIMED_TEXTS[1]) is outside  # the parses shared before are back
    prime(PRIMED_TEXTS)
    assert shared_parse(PRIMED_TEXTS[0]) is text_module._shared.primed[PRIMED_TEXTS[0]]
    prime([])
    assert text_module._shared.primed == {}


def test_a_month_abbreviation_before_a_capital_is_a_name_and_a_full_stop():
    text = "A cousin named Mohammed Jan. Mohammed left. It began on Jan. 5 in Kabul."
    doc = parse(text)
    assert [t.text for t in doc][4:6] == ["Jan", "."]
    assert "Jan." in [t.text for t in doc]  # "Jan. 5" stays one token
    assert sentence_spans(doc) == [(0, 28), (29, 43), (44, 72)]
