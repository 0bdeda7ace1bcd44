"""The guidelines' worked examples come only from `train` articles: held-out splits stay unseen.

A system prompted with ``annotation/guidelines.md`` must not see held-out answers. The leak
detector compares word n-grams: every run of ``N`` consecutive words of the guidelines (lower-cased,
punctuation and the ``]LABEL`` markup of annotation lines dropped, not made only of function words)
that occurs in a validation or test article and in no train article is a quotation of that
held-out article. With ``N = 5`` it reports, on guidelines 1.3, 46 quoted passages of 11 held-out
articles (the 23 worked examples taken from them, the cross-references to those, and the lint
phrases) and nothing else; ``N = 6`` misses the five-word ones among them, and with ``N = 3``
ordinary prose ("the rest of", "followed by a") already matches held-out articles.
"""

from __future__ import annotations

import json
import re

import pytest

from frontline.core.scheme import load_scheme
from frontline.release.splits import split_of
from frontline.studio.sheets import read_sheet, sheet_document

N = 5
CONSTRUCTED = "(constructed example)"
MARKUP = re.compile(r"\]([A-Z_]+)")  # the "]LABEL" after a mention in "[Iran]GPE"
WORD = re.compile(r"[^\W_]+")
#: Words that never make a quotation on their own: "nothing to do with the" is no quotation.
FUNCTION_WORDS = frozenset(
    """
    a an the this that these those it its he him his she her they them their we us our you your i
    me my who whom whose which what there here of to in on at by for with from into about as than
    and or but nor if so not no nothing all any some is are was were be been being am has have had
    do does did will would shall should can could may might must s t
""".split()
)
EXAMPLE = re.compile(r"^> (.*)$", re.MULTILINE)
ANNOTATED = re.compile(r"^> (.*)\n\n- Annotation \(`([^`]+)`\): (.*)$", re.MULTILINE)

#: A test article of dataset 1.1 and one of its sentences (the fighting in Misrata).
TEST_ARTICLE = "wikinews-2011-04-21-france-italy-uk-sending-military-advisers-to-libya"
TEST_SENTENCE = (
    "Meanwhile, fighting has continued between rebel and pro-government forces this "
    "Wednesday in the besieged western port city of Misrata, where residents are "
    "pleading for international intervention."
)


def words(text: str) -> list[str]:
    """Lower-cased words of ``text``; annotation markup and punctuation are dropped."""
    return WORD.findall(MARKUP.sub(" ", text).lower())


def ngrams(tokens: list[str], n: int = N) -> set[tuple[str, ...]]:
    """The ``n``-grams of ``tokens`` that hold a content word (one not in ``FUNCTION_WORDS``)."""
    grams = (tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return {gram for gram in grams if not FUNCTION_WORDS.issuperset(gram)}


def leaks(
    guidelines: str, texts: dict[str, str], splits: dict[str, str], n: int = N
) -> list[tuple[str, str]]:
    """``(held-out article id, quoted phrase)`` for every quotation of a validation/test article.

    A phrase is a maximal stretch of the guidelines' words covered by ``n``-grams that occur in
    that article and in no train article; each (article, phrase) is given once, in text order.
    """
    train: set[tuple[str, ...]] = set()
    held: dict[str, set[tuple[str, ...]]] = {}
    for doc_id, text in texts.items():
        grams = ngrams(words(text), n)
        if splits[doc_id] == "train":
            train |= grams
        else:
            held[doc_id] = grams
    tokens = words(guidelines)
    mine = ngrams(tokens, n)
    runs: list[tuple[int, str, str]] = []  # (first word, article, phrase)
    for doc_id, grams in held.items():
        hits = [
            i
            for i in range(len(tokens) - n + 1)
            if (gram := tuple(tokens[i : i + n])) in mine and gram in grams and gram not in train
        ]
        for i, hit in enumerate(hits):
            if i == 0 or hit > hits[i - 1] + n:  # a new run unless it overlaps the previous n-gram
                start = hit
            if i + 1 == len(hits) or hits[i + 1] > hit + n:
                runs.append((start, doc_id, " ".join(tokens[start : hit + n])))
    found: dict[tuple[str, str], None] = {}
    for _, doc_id, phrase in sorted(runs):
        found.setdefault((doc_id, phrase))
    return list(found)


@pytest.fixture(scope="module")
def corpus(repo) -> tuple[dict[str, str], dict[str, str]]:
    """``(texts, splits)``: every seed article's text and split, by id."""
    manifest = json.loads((repo.seeds / "manifest.json").read_text(encoding="utf-8"))
    articles = manifest["articles"]
    texts = {a["id"]: (repo.seeds / a["file"]).read_text(encoding="utf-8") for a in articles}
    splits = {a["id"]: split_of(a["id"], a["license"]) for a in articles}
    return texts, splits


@pytest.fixture(scope="module")
def guidelines(repo) -> str:
    return (repo.annotation / "guidelines.md").read_text(encoding="utf-8")


def test_the_corpus_has_held_out_articles(corpus):
    texts, splits = corpus
    assert set(splits.values()) == {"train", "validation", "test"}
    assert splits[TEST_ARTICLE] == "test"
    assert TEST_SENTENCE in texts[TEST_ARTICLE]


def test_the_guidelines_quote_no_validation_or_test_article(guidelines, corpus):
    found = leaks(guidelines, *corpus)
    assert found == [], "the guidelines quote held-out articles:\n" + "\n".join(
        f"  {doc_id} ({corpus[1][doc_id]}): {phrase!r}" for doc_id, phrase in found
    )


def test_the_detector_finds_a_quoted_test_article(corpus):
    made_up = (
        "# Guidelines\n\nGROUP spans cover coordinated modifiers.\n\n"
        f"> {TEST_SENTENCE}\n\n- Relations: none.\n"
    )
    assert leaks(made_up, *corpus) == [(TEST_ARTICLE, " ".join(words(TEST_SENTENCE)))]


def test_the_detector_finds_a_quotation_inside_an_annotation_line(corpus):
    made_up = (
        "- Annotation: fighting has continued between [rebel and pro-government "
        "forces]GROUP this Wednesday.\n"
    )
    phrase = "fighting has continued between rebel and pro government forces this wednesday"
    assert leaks(made_up, *corpus) == [(TEST_ARTICLE, phrase)]


def test_the_detector_ignores_generic_prose_and_train_quotations(corpus):
    texts, _ = corpus
    seed = (
        "In response, government forces have constructed a fortified defensive line in "
        "northern Hama"
    )
    assert seed in texts["000_2deeeecf94034bb2"]
    made_up = (
        "A mention is stored as character offsets into the article text. Relations only "
        "join two mentions of the same sentence, and the head of the relation is the "
        "attacker.\n\n"
        f"> {seed}\n"
    )
    assert leaks(made_up, *corpus) == []


def test_every_example_is_quoted_from_a_train_article_or_marked_constructed(guidelines, corpus):
    texts, splits = corpus
    train_texts = [text for doc_id, text in texts.items() if splits[doc_id] == "train"]
    examples = EXAMPLE.findall(guidelines)
    assert len(examples) > 60
    not_train = [
        quote
        for quote in examples
        if not quote.startswith(CONSTRUCTED) and not any(quote in text for text in train_texts)
    ]
    assert not_train == []


def test_the_guidelines_name_no_validation_or_test_article(guidelines, corpus):
    _, splits = corpus
    named = {doc_id: split for doc_id, split in splits.items() if doc_id in guidelines}
    assert "000_2deeeecf94034bb2" in named
    assert {doc_id for doc_id, split in named.items() if split != "train"} == set()


def test_annotated_examples_agree_with_the_gold_of_their_article(repo, guidelines, corpus):
    """The bracketed mentions of each "Annotation (`id`):" line are the gold mentions there."""
    texts, _ = corpus
    scheme = load_scheme(repo.scheme)
    differ, checked = [], 0
    for quote, doc_id, annotated in ANNOTATED.findall(guidelines):
        if annotated.startswith("see "):  # the same sentence is annotated in another section
            continue
        adjudicated = repo.annotation / "sheets-adjudicated" / f"{doc_id}.sheet"
        single = repo.annotation / "sheets" / f"{doc_id}.sheet"
        path = adjudicated if adjudicated.exists() else single
        doc = sheet_document(read_sheet(path), texts[doc_id], scheme, str(path))
        start = doc.text.index(quote)
        end = start + len(quote)
        marked, last = [], start
        for entity in doc.entities:
            if start <= entity.start and entity.end <= end:
                marked += [doc.text[last : entity.start], f"[{entity.text}]{entity.label}"]
                last = entity.end
        marked.append(doc.text[last:end])
        checked += 1
        if "".join(marked) != annotated:
            differ.append(f"{doc_id}:\n  guidelines: {annotated}\n  gold:       {''.join(marked)}")
    assert checked > 50
    assert differ == [], "\n".join(differ)


def changelog_entry(guidelines: str, version: str, date: str, previous: str) -> str:
    """The text of the changelog entry of ``version`` (up to ``previous``'s), on one line."""
    v, p = re.escape(version), re.escape(previous)
    entry = re.search(
        rf"^- \*\*{v}\*\* \({date}\): (.*?)(?=^- \*\*{p}\*\*)", guidelines, re.M | re.S
    )
    assert entry is not None, f"no changelog entry {version} ({date})"
    return " ".join(entry[1].split())


def test_the_version_line_is_the_newest_changelog_entry(guidelines):
    version = re.search(r"^Version (\d+\.\d+)$", guidelines, re.MULTILINE)
    newest = re.search(r"^- \*\*(\d+\.\d+)\*\* \(", guidelines, re.MULTILINE)
    assert version is not None and newest is not None
    assert version[1] == newest[1] == "2.1"


def test_the_version_and_changelog_say_why_the_examples_changed(guidelines):
    text = changelog_entry(guidelines, "1.4", "2026-12-04", "1.3")
    assert "only from `train` articles" in text
    assert "23 examples" in text
    assert "No rule or label changed." in text


def test_the_2_0_changelog_names_every_decision_and_the_gold_revision(guidelines):
    text = changelog_entry(guidelines, "2.0", "2026-12-05", "1.4")
    assert "guidelines-2.0-revision.md" in text
    named = set(re.findall(r"\bD(\d+)\b", text))
    for low, high in re.findall(r"\bD(\d+)\s*[-–]\s*D?(\d+)\b", text):
        named |= {str(n) for n in range(int(low), int(high) + 1)}
    assert {str(n) for n in range(1, 22)} <= named


def test_the_2_1_changelog_names_the_new_group_nouns_and_the_fix_log(guidelines, repo):
    text = changelog_entry(guidelines, "2.1", "2026-12-06", "2.0")
    assert '"personnel"' in text and '"armed men"' in text
    assert "lint-1.2.1-fixes.md" in text
    assert (repo.annotation / "adjudication" / "lint-1.2.1-fixes.md").is_file()


def test_the_guidelines_state_the_sentence_rule_of_the_code(guidelines):
    """D20: the sentence definition in the guidelines matches frontline.core.text."""
    from frontline.core.text import PIPELINE

    assert "frontline_quotes" in PIPELINE
    assert re.search(r'`!"`\s+or\s+`\?"` followed by a lower-case word', guidelines)
