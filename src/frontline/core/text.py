"""Tokenization and sentence splitting, defined once for the whole project.

A blank spaCy English pipeline (its rule-based tokenizer, no trained model) plus two
rule components:

* ``frontline_paragraphs``: a line break always ends a sentence (articles keep their
  paragraphs, datelines and subheadings on lines of their own);
* ``sentencizer``: spaCy's punctuation-based splitter. Abbreviations that spaCy's English
  tokenizer keeps whole ("U.S.", "Gen.", "Dr.", "Jan."), and the military titles in
  :data:`ABBREVIATIONS`, are single tokens, so they never end a sentence.
* ``frontline_names`` (before the splitter): a month abbreviation that spaCy keeps whole
  ("Jan.") but that is followed by a capitalised word is a name and a full stop ("named
  Mohammed Jan. Mohammed ..." -> "Jan" "."), so the sentence ends there; "Jan. 5" stays whole.
* ``frontline_quotes``: a quotation that ends in ``!"`` or ``?"`` and goes on in lower case
  does not end the sentence (``Protesters chanting "Death to the dictator!" occupied ...``).

The result depends only on the spaCy version pinned in ``requirements/constraints.txt``.
Sentences are returned as character spans ``(start, end)``, end exclusive, with the
whitespace between sentences left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache

import spacy
from spacy.attrs import IS_SPACE, SENT_START
from spacy.language import Language
from spacy.symbols import ORTH
from spacy.tokens import Doc
from spacy.util import compile_infix_regex

PIPELINE = ("frontline_names", "sentencizer", "frontline_quotes", "frontline_paragraphs")

#: Extra infix rules, so that annotated mentions start and end on token boundaries:
#: a hyphen or dash after an abbreviation ("U.S.-supported" -> "U.S." "-" "supported",
#: "U.S.–Mexico" -> "U.S." "–" "Mexico"); spaCy
#: already splits a hyphen between letters ("Turkish-backed").
INFIXES = (r"(?<=\.)[-–—](?=[A-Za-z])",)

#: An abbreviation that ends a sentence keeps its own full stop: "made in the U.S.." is
#: "U.S." then ".", not spaCy's default "U.S" "..".
SENTENCE_FINAL = {"U.S..": ("U.S.", "."), "U.N..": ("U.N.", "."), "U.K..": ("U.K.", ".")}

#: Title abbreviations spaCy's English tokenizer would split ("Lt." -> "Lt" "."), which
#: would then end a sentence in "said Lt. Nate Christensen". Kept whole as special cases.
ABBREVIATIONS = (
    "Lt.",
    "Col.",
    "Sgt.",
    "Maj.",
    "Capt.",
    "Brig.",
    "Cpl.",
    "Pvt.",
    "Lieut.",
    "Cmdr.",
    "Pres.",
)


@Language.component("frontline_paragraphs")
def _paragraph_breaks(doc: Doc) -> Doc:
    """Start a sentence after every whitespace token that holds a line break.

    The starts are set through one array: setting ``Token.is_sent_start`` token by token
    checks the whole doc each time, quadratic in the line breaks (minutes for a long text).
    """
    space = doc.to_array(IS_SPACE)[:-1]
    breaks = [i + 1 for i in space.nonzero()[0].tolist() if "\n" in doc[i].text]
    if breaks:
        starts = doc.to_array([SENT_START])
        starts[breaks] = 1
        doc.from_array([SENT_START], starts)
    return doc


#: Month abbreviations of spaCy's English tokenizer that are also names ("Jan", "Jun").
MONTHS = frozenset({"Jan.", "Feb.", "Mar.", "Apr.", "Jun.", "Jul.", "Aug.", "Sep.", "Oct.", "Nov."})


@Language.component("frontline_names")
def _names_before_full_stops(doc: Doc) -> Doc:
    """Split "Jan." into "Jan" "." where a capitalised word follows: a name ends the sentence."""
    found = [
        token
        for token in doc[:-1]
        if token.text in MONTHS and token.whitespace_ and doc[token.i + 1].text[:1].isupper()
    ]
    with doc.retokenize() as retokenizer:
        for token in found:
            retokenizer.split(token, [token.text[:-1], "."], heads=[(token, 1), (token, 1)])
    return doc


#: Closing quotation marks after which a lower-case word continues the same sentence.
CLOSING_QUOTES = frozenset({'"', "”", "'", "’"})


@Language.component("frontline_quotes")
def _quotes_inside_sentences(doc: Doc) -> Doc:
    """Join a sentence split after ``!"`` or ``?"`` when the next word is lower case."""
    starts = doc.to_array([SENT_START])
    for token in doc[2:]:
        if starts[token.i] == 1 and _continues_quote(doc, token.i):
            starts[token.i] = 0  # unset: not a sentence start
    doc.from_array([SENT_START], starts)
    return doc


def _continues_quote(doc: Doc, i: int) -> bool:
    """Whether token ``i`` is a lower-case word right after ``!"`` or ``?"`` on one line."""
    word, quote, mark = doc[i], doc[i - 1], doc[i - 2]
    return (
        word.text[:1].islower()
        and quote.text in CLOSING_QUOTES
        and mark.text in {"!", "?"}
        and "\n" not in quote.whitespace_ + mark.whitespace_
    )


@lru_cache(maxsize=1)
def nlp() -> Language:
    """The project's shared pipeline (built once per process)."""
    pipeline = spacy.blank("en")
    infixes = [*pipeline.Defaults.infixes, *INFIXES]
    pipeline.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    for abbreviation in ABBREVIATIONS:
        pipeline.tokenizer.add_special_case(abbreviation, [{ORTH: abbreviation}])
    for text, pieces in SENTENCE_FINAL.items():
        pipeline.tokenizer.add_special_case(text, [{ORTH: piece} for piece in pieces])
    for name in PIPELINE:
        pipeline.add_pipe(name)
    return pipeline


def parse(text: str) -> Doc:
    """Tokenize and sentence-split ``text``."""
    return nlp()(text)


class Parses:
    """Parses that the caller owns and passes along: one stage's texts, parsed together.

    ``Parses(texts)`` parses ``texts`` at once with ``nlp.pipe`` (about a tenth faster than
    one at a time between other work); a text it was not given is parsed when asked for,
    and the last ``recent`` of those are remembered, as are the sentences of the last
    ``recent`` parses asked for: validation and the dataset rows of one article then share
    one parse. The Docs are shared, so callers must not modify them. Dropping the object
    frees them all (it holds no reference to itself, so at once).
    """

    def __init__(self, texts: Iterable[str] = (), recent: int = 4) -> None:
        unique = list(dict.fromkeys(texts))
        #: The texts parsed ahead, each to its Doc.
        self.primed: dict[str, Doc] = (
            dict(zip(unique, nlp().pipe(unique), strict=True)) if unique else {}
        )
        self._parse = lru_cache(maxsize=recent)(parse)
        self._sentences = lru_cache(maxsize=recent)(_sentence_tuple)  # by Doc identity

    def doc(self, text: str) -> Doc:
        """The parse of ``text``: primed, remembered, or made now."""
        primed = self.primed.get(text)
        return primed if primed is not None else self._parse(text)

    def sentences(self, text: str) -> tuple[tuple[int, int], ...]:
        """:func:`sentence_spans` of :meth:`doc`."""
        return self._sentences(self.doc(text))


def _sentence_tuple(doc: Doc) -> tuple[tuple[int, int], ...]:
    return tuple(sentence_spans(doc))


#: The :class:`Parses` behind :func:`shared_parse` and :func:`shared_sentences`, for callers
#: that do not pass one along; :func:`primed` and :func:`prime` replace it.
_shared = Parses()


@contextmanager
def primed(texts: Iterable[str]) -> Iterator[Parses]:
    """Parse ``texts`` together (a :class:`Parses`, yielded) for :func:`shared_parse` and
    :func:`shared_sentences` to give inside the ``with`` block; on leaving it the parses
    are dropped, and those shared before are back."""
    global _shared
    before, _shared = _shared, Parses(texts)
    try:
        yield _shared
    finally:
        _shared = before


def prime(texts: Iterable[str]) -> None:
    """Parse ``texts`` together for :func:`shared_parse` to give, forgetting those primed
    before (``prime([])`` forgets them all). :func:`primed` is the scoped form of this, and
    a :class:`Parses` passed along needs neither."""
    global _shared
    _shared = Parses(texts)


def shared_parse(text: str) -> Doc:
    """:func:`parse`, taken from the texts primed (:func:`primed`, :func:`prime`) or
    remembered for the last few texts (:class:`Parses`). The Doc is shared, so callers must
    not modify it."""
    return _shared.doc(text)


def shared_sentences(text: str) -> tuple[tuple[int, int], ...]:
    """:func:`sentence_spans` of :func:`shared_parse`, remembered likewise."""
    return _shared.sentences(text)


def sentence_spans(doc: Doc) -> list[tuple[int, int]]:
    """Character spans of the sentences of ``doc``, whitespace-only tokens stripped.

    >>> sentence_spans(parse("Troops left Basra.\\nRebels held it."))
    [(0, 18), (19, 34)]
    """
    space = doc.to_array(IS_SPACE).tolist()
    spans = []
    for sent in doc.sents:
        first, last = sent.start, sent.end
        while first < last and space[first]:
            first += 1
        while last > first and space[last - 1]:
            last -= 1
        if first < last:
            spans.append((doc[first].idx, doc[last - 1].idx + len(doc[last - 1])))
    return spans


def word_tokens(doc: Doc) -> list[tuple[str, int, int]]:
    """``(text, start, end)`` of every token that is not whitespace."""
    return [(t.text, t.idx, t.idx + len(t.text)) for t in doc if not t.is_space]
