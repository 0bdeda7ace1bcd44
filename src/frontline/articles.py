"""The articles: byte-exact texts under ``seeds/texts/`` and one manifest, ``seeds/manifest.json``.

Layout::

    seeds/manifest.json          {"articles": [ {metadata of one article}, ... ]}, sorted by id
    seeds/texts/<id>.txt         the article text, UTF-8, exactly as published

Texts are never edited: every annotation is a character offset into them, and each
manifest entry carries the SHA-256 of the text's UTF-8 bytes.

What a text may hold (checked when an article is added and whenever the articles are
loaded; anything else is refused with the article, the character and its offset named,
never repaired silently, since a repaired text would move every offset after the repair):

* strict UTF-8 (no lone surrogates), at most :data:`MAX_TEXT_CHARS` characters, and at
  least one character that is neither whitespace nor invisible formatting;
* line breaks as LF or CRLF; a lone CR (old Mac line ends) is refused: Label Studio shows
  it as a space and the sentence splitter does not break there;
* no control characters but TAB, LF and CR (no NUL, no C1 controls, which are mostly
  mis-decoded Windows-1252);
* no byte order mark (U+FEFF) at the start: it is an encoding signature, not text;
* anything else, as published: zero-width characters, right-to-left text and bidi
  controls, combining marks, characters outside the BMP (emoji). Offsets count Unicode
  code points (Python string indices); Label Studio's browser code counts UTF-16 code
  units, which differ after a character outside the BMP, and validation says so when an
  export's offsets look like that (see :mod:`frontline.validate`).

Metadata values are single-line strings: no control characters at all.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from frontline.files import atomic_write

MANIFEST = "manifest.json"
TEXTS = "texts"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")  # used with fullmatch: no trailing newline
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

#: The longest text accepted, in characters: spaCy's ``max_length`` (see :mod:`frontline.text`),
#: a hundred times the longest article of the corpus.
MAX_TEXT_CHARS = 1_000_000

_SURROGATE = re.compile("[\ud800-\udfff]")
_TEXT_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # all but TAB, LF, CR
_META_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_LONE_CR = re.compile("\r(?!\n)")
#: Any character the three checks above could report (CR included): a text without one
#: is checked by this one scan.
_SUSPECT = re.compile("[\ud800-\udfff\x00-\x08\x0b-\x1f\x7f-\x9f]")


class ArticleError(ValueError):
    """One or more articles are invalid; ``problems`` lists each, naming the article."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Article:
    """One article and its metadata (everything but ``text`` is stored in the manifest)."""

    id: str
    title: str
    date: str  # ISO 8601 date of the article's dateline, YYYY-MM-DD
    url: str  # "" where the article has no public URL
    license: str
    attribution: str
    source: str  # where the text was taken from (corpus, repository, commit, path)
    topic: str
    sha256: str
    text: str

    def metadata(self) -> dict[str, str]:
        """The manifest entry: every field but the text, plus the text file's path."""
        entry = {k: v for k, v in asdict(self).items() if k != "text"}
        entry["file"] = f"{TEXTS}/{self.id}.txt"
        return entry


METADATA_FIELDS = tuple(f.name for f in fields(Article) if f.name != "text")


def sha256_text(text: str) -> str:
    """SHA-256 (hex) of the UTF-8 bytes of ``text``.

    A lone surrogate (only a JSON escape can bring one in) is hashed as its surrogate bytes
    instead of raising; :func:`article_problems` refuses such a text.
    """
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _char(text: str, match: re.Match[str]) -> str:
    count = len(match.re.findall(text))
    more = f" (and {count - 1} more)" if count > 1 else ""
    return f"U+{ord(match.group()):04X} at offset {match.start()}{more}"


def text_problems(text: str) -> list[str]:
    """What is wrong with an article text on its own (see the module docstring)."""
    problems = []
    suspect = _SUSPECT.search(text) is not None
    if suspect and (found := _SURROGATE.search(text)) is not None:
        problems.append(f"text is not valid Unicode: lone surrogate {_char(text, found)}")
    if len(text) > MAX_TEXT_CHARS:
        problems.append(f"text has {len(text)} characters, more than the limit of {MAX_TEXT_CHARS}")
    if text.startswith("\ufeff"):
        problems.append("text starts with a byte order mark (U+FEFF): save it as UTF-8 without BOM")
    if suspect and (found := _TEXT_CONTROL.search(text)) is not None:
        problems.append(f"text has a control character {_char(text, found)}")
    if suspect and (found := _LONE_CR.search(text)) is not None:
        problems.append(f"text has a lone carriage return (CR without LF) at offset {found.start()}: "
                        "use LF or CRLF line ends")
    if all(c.isspace() or unicodedata.category(c) == "Cf" for c in text):
        problems.append("text is empty" + (" (only whitespace and invisible characters)" if text else ""))
    return problems


def make_article(text: str, **metadata: str) -> Article:
    """Build an :class:`Article`; ``sha256`` is computed unless given (then it is checked later)."""
    unknown = sorted(set(metadata) - set(METADATA_FIELDS))
    if unknown:
        raise ArticleError([f"article {metadata.get('id', '?')!r}: unknown field(s) {unknown}"])
    values = {name: "" for name in METADATA_FIELDS}
    values.update({k: str(v) for k, v in metadata.items()})
    values["sha256"] = values["sha256"] or sha256_text(text)
    return Article(text=text, **values)


def article_problems(article: Article) -> list[str]:
    """Everything wrong with one article on its own (no cross-article checks)."""
    name = f"article {article.id!r}"
    problems = []
    if not _ID.fullmatch(article.id):
        problems.append(f"{name}: id must match {_ID.pattern}")
    for field in METADATA_FIELDS:
        value = getattr(article, field)
        if (found := _SURROGATE.search(value) or _META_CONTROL.search(value)) is not None:
            problems.append(f"{name}: {field} has a control character or lone surrogate {_char(value, found)}")
    for required in ("title", "date", "license"):
        if not getattr(article, required).strip():
            problems.append(f"{name}: {required} is empty")
    if not (article.url or article.source):
        problems.append(f"{name}: needs a url or a source")
    try:
        if not _DATE.fullmatch(article.date):
            raise ValueError
        dt.date.fromisoformat(article.date)
    except ValueError:
        problems.append(f"{name}: date {article.date!r} is not YYYY-MM-DD")
    problems += [f"{name}: {p}" for p in text_problems(article.text)]
    actual = sha256_text(article.text)
    if article.sha256 != actual:
        problems.append(f"{name}: sha256 mismatch: manifest says {article.sha256}, text has {actual}")
    return problems


def collection_problems(articles: Iterable[Article]) -> list[str]:
    """Problems of each article plus duplicate ids and duplicate texts."""
    problems: list[str] = []
    seen_ids: dict[str, int] = {}
    seen_folded: dict[str, str] = {}
    seen_texts: dict[str, str] = {}
    for article in articles:
        problems += article_problems(article)
        seen_ids[article.id] = seen_ids.get(article.id, 0) + 1
        if seen_ids[article.id] == 2:
            problems.append(f"article {article.id!r}: duplicate id")
        folded = seen_folded.setdefault(article.id.lower(), article.id)
        if folded != article.id:
            problems.append(f"article {article.id!r}: id differs only in case from article {folded!r} "
                            "(their text files would be one file on a case-insensitive file system)")
        other = seen_texts.setdefault(article.sha256, article.id)
        if other != article.id:
            problems.append(f"article {article.id!r}: same text as article {other!r}")
    return problems


def _read_text(path: Path, article_id: str) -> tuple[str | None, str | None]:
    """Return ``(text, problem)``; the text is decoded as strict UTF-8."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, f"article {article_id!r}: text file {path} is missing"
    except OSError as exc:
        return None, f"article {article_id!r}: cannot read {path}: {exc.strerror or exc}"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return None, f"article {article_id!r}: {path} is not UTF-8 ({exc.reason} at byte {exc.start})"


def _read_manifest(seeds: Path) -> list[dict[str, str]]:
    path = seeds / MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArticleError([f"{path} is missing"]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArticleError([f"{path} is not valid JSON: {exc}"]) from None
    entries = raw.get("articles") if isinstance(raw, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ArticleError([f"{path}: expected {{\"articles\": [ {{...}}, ... ]}}"])
    return entries


def load_articles(seeds: Path) -> list[Article]:
    """Read and check every article; raise :class:`ArticleError` listing all problems."""
    articles, problems = [], []
    listed = set()
    for index, entry in enumerate(_read_manifest(seeds)):
        article_id = str(entry.get("id", f"#{index}"))
        missing = [f for f in (*METADATA_FIELDS, "file") if f not in entry]
        extra = sorted(set(entry) - {*METADATA_FIELDS, "file"})
        if missing or extra:
            problems.append(f"article {article_id!r}: manifest entry missing {missing}, unknown {extra}")
            continue
        if entry["file"] != f"{TEXTS}/{article_id}.txt":
            problems.append(f"article {article_id!r}: file must be {TEXTS}/{article_id}.txt, not {entry['file']!r}")
            continue
        listed.add(entry["file"])
        text, problem = _read_text(seeds / entry["file"], article_id)
        if problem:
            problems.append(problem)
            continue
        articles.append(make_article(text, **{k: entry[k] for k in METADATA_FIELDS}))
    problems += collection_problems(articles)
    problems += [f"{TEXTS}/{name} is not listed in {MANIFEST}"
                 for name in sorted(p.name for p in (seeds / TEXTS).glob("*")) if f"{TEXTS}/{name}" not in listed]
    if [a.id for a in articles] != sorted(a.id for a in articles):
        problems.append(f"{MANIFEST}: articles are not sorted by id")
    if problems:
        raise ArticleError(problems)
    return articles


def manifest_bytes(articles: Iterable[Article]) -> bytes:
    """The manifest for ``articles``: sorted by id, stable formatting."""
    entries = [a.metadata() for a in sorted(articles, key=lambda a: a.id)]
    return (json.dumps({"articles": entries}, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def add_articles(seeds: Path, new: Sequence[Article]) -> list[Article]:
    """Add ``new`` articles to ``seeds`` (creating it if needed) and return the full list.

    All checks run before anything is written; an article whose id or text is already
    present is refused. Texts are written first, the manifest last, each atomically; on a
    failure the texts written so far are removed, so the collection is never half-updated.
    """
    existing = load_articles(seeds) if (seeds / MANIFEST).exists() else []
    problems = collection_problems([*existing, *new])
    if problems:
        raise ArticleError(problems)
    written: list[Path] = []
    try:
        for article in new:
            path = seeds / TEXTS / f"{article.id}.txt"
            atomic_write(path, article.text.encode("utf-8"))
            written.append(path)
        atomic_write(seeds / MANIFEST, manifest_bytes([*existing, *new]))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return sorted([*existing, *new], key=lambda a: a.id)


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [k for k, _ in pairs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ValueError(f"key(s) {twice} given twice")
    return dict(pairs)


def read_jsonl(path: Path) -> list[Article]:
    """Articles from a JSONL file: one object per line with ``text`` and metadata fields.

    Metadata values must be strings. Fields outside the manifest's are ignored, except that
    ``source_corpus``, ``source_repo``, ``source_commit`` and ``source_path`` are joined
    into ``source``. Blank lines and a UTF-8 byte order mark at the start of the file are
    skipped. Every problem of every line is raised together, each naming ``FILE:LINE``.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArticleError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    articles, problems = [], []
    for number, line in enumerate(data.splitlines(), start=1):
        where = f"{path}:{number}"
        if not line.strip():
            continue
        try:
            record = json.loads(line.decode("utf-8"), object_pairs_hook=_unique_keys)
        except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
            problems.append(f"{where}: not a JSON line in UTF-8: {exc}")
            continue
        except RecursionError:
            problems.append(f"{where}: not a JSON line in UTF-8: nested too deeply")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            problems.append(f"{where}: expected an object with a string 'text'")
            continue
        wrong = {k: type(record[k]).__name__ for k in METADATA_FIELDS
                 if k in record and not isinstance(record[k], str)}
        if wrong:
            problems.append(f"{where}: metadata must be strings: " +
                            ", ".join(f"{k!r} is {kind}" for k, kind in wrong.items()))
            continue
        metadata = {k: record[k] for k in METADATA_FIELDS if k in record}
        if not metadata.get("source"):
            metadata["source"] = _source_of(record)
        article = make_article(record["text"], **metadata)
        found = article_problems(article)
        problems += [f"{where}: {p}" for p in found]
        if not found:
            articles.append(article)
    if problems:
        raise ArticleError(problems)
    return articles


def _source_of(record: dict[str, object]) -> str:
    corpus, repo = record.get("source_corpus", ""), record.get("source_repo", "")
    commit, path = record.get("source_commit", ""), record.get("source_path", "")
    where = f"{repo}@{commit}: {path}" if repo else ""
    return "; ".join(str(part) for part in (corpus, where) if part)


def read_plain(path: Path, **metadata: str) -> Article:
    """An article from a plain UTF-8 text file; its id defaults to the file name stem."""
    text, problem = _read_text(path, metadata.get("id") or path.stem)
    if problem:
        raise ArticleError([problem])
    metadata.setdefault("id", path.stem)
    article = make_article(text, **metadata)
    problems = article_problems(article)
    if problems:
        raise ArticleError([f"{path}: {p}" for p in problems])
    return article
