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
  export's offsets look like that (see :mod:`frontline.gold.validate`).

Metadata values are single-line strings: no control characters at all. The ``url`` is an
``http://`` or ``https://`` URL with a host, or ``""`` where the article has none (then a
``source`` says where it came from); the ``date`` a real date from 1900-01-01 to today
(today where the date is furthest ahead, UTC+14, so that no article of today is refused).

A text that differs from another only in line ends (CRLF or LF), leading, trailing or
repeated whitespace, or Unicode normalisation (NFC) is the same article: it is refused,
naming the article it copies (else one text could land in two splits).

Inputs are read bounded: a file must be a regular file (not a FIFO or a device such as
``/dev/zero``) and its size is checked (``stat``) before it is read: at most
:data:`MAX_TEXT_BYTES` for a text, :data:`MAX_JSONL_BYTES` for a ``.jsonl`` file, which is
read one line at a time.

Adding is all-or-nothing, also across a crash (SIGKILL, Ctrl-C, a failed write): the new
texts and the new manifest are staged in ``seeds/.staging/``, then a journal
(``seeds/.staging/journal.json``, written by an atomic rename) names what is committed, then
the texts are moved into ``texts/`` and the manifest replaced, each by a rename. Before that
rename of the journal nothing in ``texts/`` or the manifest has changed; after it, the commit
is decided. The next ``articles add`` or ``articles check`` completes a commit whose journal
is there and removes a staging folder without one (rolls it back); every other command
refuses to read a half-done commit. ``add`` and ``check`` hold an exclusive ``flock`` on the
``seeds/`` folder, readers a shared one, so no one reads a commit in progress. Texts the
manifest does not list and ``.tmp`` files (left by versions before this one) are named by
``articles check`` and removed by ``articles check --clean``. This protects against the
process dying, not against the machine losing power: nothing is fsynced (thousands of
fsyncs would cost more than the add).
"""

from __future__ import annotations

import codecs
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import stat
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import BinaryIO

from frontline.errors import ProblemsError

MANIFEST = "manifest.json"
TEXTS = "texts"
#: Where ``add`` stages a commit (``texts/``, ``manifest.json``, then ``journal.json``).
STAGING = ".staging"
JOURNAL = "journal.json"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")  # used with fullmatch: no trailing newline
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

#: The longest text accepted, in characters: spaCy's ``max_length`` (see
#: :mod:`frontline.core.text`), a hundred times the longest article of the corpus.
MAX_TEXT_CHARS = 1_000_000
#: The largest text file read, in bytes: MAX_TEXT_CHARS characters of at most 4 UTF-8 bytes.
MAX_TEXT_BYTES = 4 * MAX_TEXT_CHARS
#: The largest ``.jsonl`` file read, in bytes (split a bigger one).
MAX_JSONL_BYTES = 256 * 2**20
#: The longest line of a ``.jsonl`` file, in bytes: a text of MAX_TEXT_CHARS characters, each
#: escaped as at most 12 bytes (a surrogate pair, ``\ud83d\ude00``), and room for the metadata.
MAX_JSONL_LINE_BYTES = 16 * 2**20
EARLIEST_DATE = dt.date(1900, 1, 1)

_SURROGATE = re.compile("[\ud800-\udfff]")
_TEXT_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # all but TAB, LF, CR
_META_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_LONE_CR = re.compile("\r(?!\n)")
#: Any character the three checks above could report (CR included): a text without one
#: is checked by this one scan.
_SUSPECT = re.compile("[\ud800-\udfff\x00-\x08\x0b-\x1f\x7f-\x9f]")


class ArticleError(ProblemsError, ValueError):
    """One or more articles are invalid; ``problems`` lists each, naming the article or file."""


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
        problems.append(
            f"text has a lone carriage return (CR without LF) at offset {found.start()}: "
            "use LF or CRLF line ends"
        )
    if all(c.isspace() or unicodedata.category(c) == "Cf" for c in text):
        problems.append(
            "text is empty" + (" (only whitespace and invisible characters)" if text else "")
        )
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


def is_web_url(url: str) -> bool:
    """Whether ``url`` is an ``http://`` or ``https://`` URL with a host (no whitespace in it)."""
    if not url or any(c.isspace() for c in url):
        return False
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def latest_date() -> dt.date:
    """Today, in the time zone furthest ahead (UTC+14): an article dated today anywhere passes."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=14)).date()


def normalized_text(text: str) -> str:
    """The text up to line ends, whitespace and Unicode normalisation: NFC, then every run
    of whitespace (line ends included) made one space, none at the start or the end."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def article_problems(article: Article) -> list[str]:
    """Everything wrong with one article on its own (no cross-article checks)."""
    name = f"article {article.id!r}"
    problems = []
    if not _ID.fullmatch(article.id):
        problems.append(f"{name}: id must match {_ID.pattern}")
    for field in METADATA_FIELDS:
        value = getattr(article, field)
        if (found := _SURROGATE.search(value) or _META_CONTROL.search(value)) is not None:
            problems.append(
                f"{name}: {field} has a control character or lone surrogate {_char(value, found)}"
            )
    for required in ("title", "date", "license"):
        if not getattr(article, required).strip():
            problems.append(f"{name}: {required} is empty")
    if not (article.url or article.source):
        problems.append(f"{name}: needs a url or a source")
    if article.url and not is_web_url(article.url):
        problems.append(
            f"{name}: url {article.url!r} is not an http:// or https:// URL with a host "
            '(give "" where the article has no URL)'
        )
    try:
        if not _DATE.fullmatch(article.date):
            raise ValueError
        date = dt.date.fromisoformat(article.date)
    except ValueError:
        problems.append(f"{name}: date {article.date!r} is not YYYY-MM-DD")
    else:
        if not EARLIEST_DATE <= date <= latest_date():
            problems.append(
                f"{name}: date {article.date!r} is not between {EARLIEST_DATE} and today "
                f"({latest_date()})"
            )
    problems += [f"{name}: {p}" for p in text_problems(article.text)]
    actual = sha256_text(article.text)
    if article.sha256 != actual:
        problems.append(
            f"{name}: sha256 mismatch: manifest says {article.sha256}, text has {actual}"
        )
    return problems


def collection_problems(articles: Iterable[Article]) -> list[str]:
    """Problems of each article plus duplicate ids and duplicate texts, exact or up to
    :func:`normalized_text` (the first article of a pair is named as the one copied)."""
    problems: list[str] = []
    seen_ids: dict[str, int] = {}
    seen_folded: dict[str, str] = {}
    seen_texts: dict[str, str] = {}
    seen_normalized: dict[str, str] = {}  # sha256 of the normalised text -> id
    for article in articles:
        problems += article_problems(article)
        seen_ids[article.id] = seen_ids.get(article.id, 0) + 1
        if seen_ids[article.id] == 2:
            problems.append(f"article {article.id!r}: duplicate id")
        folded = seen_folded.setdefault(article.id.lower(), article.id)
        if folded != article.id:
            problems.append(
                f"article {article.id!r}: id differs only in case from article {folded!r} "
                "(their text files would be one file on a case-insensitive file system)"
            )
        other = seen_texts.setdefault(article.sha256, article.id)
        normal = seen_normalized.setdefault(sha256_text(normalized_text(article.text)), article.id)
        if other != article.id:
            problems.append(f"article {article.id!r}: same text as article {other!r}")
        elif normal != article.id:
            problems.append(
                f"article {article.id!r}: nearly the same text as article {normal!r}: they differ "
                "only in line ends, whitespace or Unicode normalisation (NFC)"
            )
    return problems


class _Refused(Exception):
    """A file that is not read: why, as a phrase ("not a regular file (a FIFO)")."""


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


@contextmanager
def _open_regular(path: Path, limit: int, what: str) -> Iterator[BinaryIO]:
    """``path`` opened for reading, once ``fstat`` says it is a regular file of at most
    ``limit`` bytes; else :class:`_Refused`. Opened without blocking (a FIFO would block)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a file")
            raise _Refused(f"not a regular file ({kind})")
        if info.st_size > limit:
            raise _Refused(f"{info.st_size} bytes, more than the limit of {limit} bytes for {what}")
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle


def _read_bounded(handle: BinaryIO, limit: int, what: str) -> bytes:
    data = handle.read(limit + 1)  # a file that grew after the fstat is still read bounded
    if len(data) > limit:
        raise _Refused(f"more than the limit of {limit} bytes for {what}")
    return data


_TEXT_LIMIT = f"one text (at most {MAX_TEXT_CHARS} characters of up to 4 bytes)"


def _read_text(path: Path, article_id: str) -> tuple[str | None, str | None]:
    """Return ``(text, problem)``; the text is decoded as strict UTF-8, read bounded."""
    try:
        with _open_regular(path, MAX_TEXT_BYTES, _TEXT_LIMIT) as handle:
            data = _read_bounded(handle, MAX_TEXT_BYTES, _TEXT_LIMIT)
    except FileNotFoundError:
        return None, f"article {article_id!r}: text file {path} is missing"
    except OSError as exc:
        return None, f"article {article_id!r}: cannot read {path}: {exc.strerror or exc}"
    except _Refused as exc:
        return None, f"article {article_id!r}: cannot read {path}: {exc}"
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return (
            None,
            f"article {article_id!r}: {path} is not UTF-8 ({exc.reason} at byte {exc.start})",
        )


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
        raise ArticleError([f'{path}: expected {{"articles": [ {{...}}, ... ]}}'])
    return entries


@contextmanager
def _locked(seeds: Path, exclusive: bool) -> Iterator[None]:
    """Hold a ``flock`` on the ``seeds`` folder itself (no lock file): exclusive for ``add``
    and ``check``, shared for readers. The kernel drops it when the process ends."""
    fd = os.open(seeds, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)


_CLEAN_HINT = "`frontline articles check --clean` removes it"


def _listed(entries: list[dict[str, str]]) -> set[str]:
    """Every text file the manifest names: each entry's ``file`` and ``texts/<id>.txt``,
    also of an entry with problems (it is listed, if wrongly)."""
    listed = {entry["file"] for entry in entries if isinstance(entry.get("file"), str)}
    return listed | {
        f"{TEXTS}/{entry['id']}.txt" for entry in entries if isinstance(entry.get("id"), str)
    }


def _leftovers(seeds: Path, listed: set[str]) -> list[str]:
    """Files in ``texts/`` the manifest does not list, and ``.tmp`` files in ``seeds/``."""
    problems = []
    texts = seeds / TEXTS
    if texts.is_dir():
        problems += [
            f"{TEXTS}/{name} is not listed in {MANIFEST} (left by an interrupted add?): "
            f"{_CLEAN_HINT}"
            for name in sorted(p.name for p in texts.iterdir())
            if f"{TEXTS}/{name}" not in listed
        ]
    problems += [
        f"{name} is a temporary file left by an interrupted write: {_CLEAN_HINT}"
        for name in sorted(p.name for p in seeds.iterdir())
        if name.endswith(".tmp")
    ]
    return problems


def _load(seeds: Path) -> list[Article]:
    """:func:`load_articles` without the lock (the caller holds it)."""
    if (seeds / STAGING / JOURNAL).exists():
        raise ArticleError(
            [
                f"{seeds / STAGING}: an interrupted `frontline articles add` is half committed: "
                "run `frontline articles check` to complete it"
            ]
        )
    articles, problems = [], []
    entries = _read_manifest(seeds)
    for index, entry in enumerate(entries):
        article_id = str(entry.get("id", f"#{index}"))
        missing = [f for f in (*METADATA_FIELDS, "file") if f not in entry]
        extra = sorted(set(entry) - {*METADATA_FIELDS, "file"})
        if missing or extra:
            problems.append(
                f"article {article_id!r}: manifest entry missing {missing}, unknown {extra}"
            )
            continue
        if entry["file"] != f"{TEXTS}/{article_id}.txt":
            problems.append(
                f"article {article_id!r}: file must be {TEXTS}/{article_id}.txt, "
                f"not {entry['file']!r}"
            )
            continue
        text, problem = _read_text(seeds / entry["file"], article_id)
        if problem:
            problems.append(problem)
            continue
        articles.append(make_article(text, **{k: entry[k] for k in METADATA_FIELDS}))
    problems += collection_problems(articles)
    problems += _leftovers(seeds, _listed(entries))
    if [a.id for a in articles] != sorted(a.id for a in articles):
        problems.append(f"{MANIFEST}: articles are not sorted by id")
    if problems:
        raise ArticleError(problems)
    return articles


def load_articles(seeds: Path) -> list[Article]:
    """Read and check every article; raise :class:`ArticleError` listing all problems.

    Waits while an ``add`` or ``check`` holds the folder; refuses a half-done commit (see
    the module docstring), which ``articles check`` completes."""
    if not seeds.is_dir():
        return _load(seeds)  # raises: the manifest is missing
    with _locked(seeds, exclusive=False):
        return _load(seeds)


def manifest_bytes(articles: Iterable[Article]) -> bytes:
    """The manifest for ``articles``: sorted by id, stable formatting."""
    entries = [a.metadata() for a in sorted(articles, key=lambda a: a.id)]
    return (json.dumps({"articles": entries}, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _roll_forward(seeds: Path, journal: dict[str, object]) -> int:
    """Finish the commit ``journal`` names (again from the start if need be: each step is a
    rename, done or not); return the number of articles it adds."""
    staging = seeds / STAGING
    ids = journal.get("adding")
    sha = journal.get("manifest_sha256")
    if not (
        isinstance(ids, list)
        and all(isinstance(i, str) and _ID.fullmatch(i) for i in ids)
        and isinstance(sha, str)
    ):
        raise ArticleError(
            [f"{staging / JOURNAL}: not a journal of this version; nothing was changed"]
        )
    (seeds / TEXTS).mkdir(exist_ok=True)
    for article_id in ids:
        name = f"{article_id}.txt"
        try:
            os.replace(staging / TEXTS / name, seeds / TEXTS / name)
        except FileNotFoundError:
            if not (seeds / TEXTS / name).is_file():  # moved by the interrupted run, or lost
                raise ArticleError(
                    [
                        f"{staging / JOURNAL}: cannot complete the interrupted add: "
                        f"{TEXTS}/{name} is neither staged nor in place"
                    ]
                ) from None
    staged = staging / MANIFEST
    if staged.exists():
        if _sha256_file(staged) != sha:
            raise ArticleError(
                [f"{staged}: not the manifest its journal names; nothing more was changed"]
            )
        os.replace(staged, seeds / MANIFEST)
    elif not (seeds / MANIFEST).is_file() or _sha256_file(seeds / MANIFEST) != sha:
        raise ArticleError(
            [
                f"{staging / JOURNAL}: cannot complete the interrupted add: "
                f"{MANIFEST} is neither staged nor in place"
            ]
        )
    (staging / JOURNAL).unlink()  # done: what is left of the staging folder is empty folders
    shutil.rmtree(staging, ignore_errors=True)  # if one is left, the next run removes it
    return len(ids)


def recover(seeds: Path) -> str | None:
    """Complete or roll back what an interrupted ``add`` left (the caller holds the
    exclusive lock); return what was done, or None if there was nothing to do."""
    staging = seeds / STAGING
    if not os.path.lexists(staging):
        return None
    if (staging / JOURNAL).exists():
        try:
            journal = json.loads((staging / JOURNAL).read_bytes())
        except (OSError, ValueError) as exc:
            raise ArticleError(
                [
                    f"{staging / JOURNAL}: cannot read the journal of an interrupted add: {exc}; "
                    "nothing was changed"
                ]
            ) from None
        count = _roll_forward(seeds, journal if isinstance(journal, dict) else {})
        return f"completed an interrupted add: its {count} article(s) are now in {seeds}"
    # no journal: the add had not committed (its staged files are dropped), or it had
    # finished and only its emptied folders are left
    if staging.is_dir() and not staging.is_symlink():
        staged = sum(1 for p in staging.rglob("*") if not p.is_dir())
        shutil.rmtree(staging)
    else:
        staged = 1
        staging.unlink()
    if not staged:
        return f"removed {staging}, left empty by an interrupted add (nothing to roll back)"
    return (
        f"rolled back an interrupted add: removed {staging} and the {staged} file(s) staged in it "
        "(none of its articles had been added)"
    )


def _commit(seeds: Path, new: Sequence[Article], manifest: bytes) -> None:
    """Stage, journal, move into place (see the module docstring)."""
    staging = seeds / STAGING
    try:
        (staging / TEXTS).mkdir(parents=True)
        for article in new:
            with open(staging / TEXTS / f"{article.id}.txt", "xb") as handle:
                handle.write(article.text.encode("utf-8"))
        (staging / MANIFEST).write_bytes(manifest)
        journal = {
            "adding": [a.id for a in new],
            "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
        }
        (staging / f"{JOURNAL}.tmp").write_text(json.dumps(journal), encoding="utf-8")
        os.replace(staging / f"{JOURNAL}.tmp", staging / JOURNAL)  # the commit point
        _roll_forward(seeds, journal)
    except BaseException as exc:
        committed = (staging / JOURNAL).exists()
        try:  # what is on disk decides: with the journal, complete; without, roll back
            recover(seeds)
        except Exception:  # noqa: BLE001 - the first error is the one to report; the next run recovers
            recovered = False
        else:
            recovered = True
        if not isinstance(exc, OSError):
            raise
        if committed and recovered:
            return  # a second try completed the commit
        outcome = (
            "the add is committed but not complete: run `frontline articles check` to complete it"
            if committed
            else "nothing was added"
        )
        raise ArticleError([f"cannot write in {seeds}: {exc.strerror or exc}; {outcome}"]) from exc


def add_articles(
    seeds: Path, new: Sequence[Article], report: Callable[[str], object] | None = None
) -> list[Article]:
    """Add ``new`` articles to ``seeds`` (creating it if needed) and return the full list.

    All checks run before anything is written; an article whose id or text is already
    present is refused. All-or-nothing, also if the process is killed (see the module
    docstring); what an interrupted add left is completed or rolled back first, and said
    through ``report``.
    """
    seeds.mkdir(parents=True, exist_ok=True)
    with _locked(seeds, exclusive=True):
        note = recover(seeds)
        if note and report:
            report(note)
        existing = _load(seeds) if (seeds / MANIFEST).exists() else []
        problems = collection_problems([*existing, *new])
        if problems:
            raise ArticleError(problems)
        everything = sorted([*existing, *new], key=lambda a: a.id)
        _commit(seeds, new, manifest_bytes(everything))
    return everything


def _clean(seeds: Path) -> Iterator[str]:
    """Remove files in ``texts/`` the manifest does not list (``.tmp`` files included) and
    ``.tmp`` files in ``seeds/``; never a text the manifest lists (nor one whose name differs
    from a listed one only in case: on some file systems it is the same file). Yield what is
    removed and what is left, one line each, as it is done."""
    try:
        entries = _read_manifest(seeds)
    except ArticleError as exc:
        raise ArticleError(
            [f"cannot clean, nothing was removed: {p}" for p in exc.problems]
        ) from None
    listed = _listed(entries)
    folded = {name.casefold() for name in listed}
    texts = seeds / TEXTS
    for path in sorted(texts.iterdir()) if texts.is_dir() else []:
        rel = f"{TEXTS}/{path.name}"
        if rel in listed:
            continue
        if rel.casefold() in folded:
            yield (
                f"left {path}: its name differs only in case from a listed text; remove it by hand"
            )
        elif path.is_dir() and not path.is_symlink():
            yield f"left {path}: a folder; remove it by hand"
        else:
            path.unlink()
            yield f"removed {path} (not listed in {MANIFEST})"
    for path in sorted(seeds.iterdir()):
        if path.name.endswith(".tmp") and (path.is_symlink() or not path.is_dir()):
            path.unlink()
            yield f"removed {path} (a temporary file left by an interrupted write)"


def check_articles(
    seeds: Path, clean: bool = False, report: Callable[[str], object] | None = None
) -> list[Article]:
    """``frontline articles check``: complete or roll back an interrupted add, with ``clean``
    remove what :func:`_clean` removes, then load and check every article. Each thing done
    is said through ``report``."""
    if not seeds.is_dir():
        return _load(seeds)  # raises: the manifest is missing
    with _locked(seeds, exclusive=True):
        say = report or (lambda line: None)
        if note := recover(seeds):
            say(note)
        for line in _clean(seeds) if clean else ():
            say(line)  # as it is done: said even if a later removal fails
        return _load(seeds)


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    keys = [k for k, _ in pairs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ValueError(f"key(s) {twice} given twice")
    return dict(pairs)


def _jsonl_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """``(number, line)`` of a ``.jsonl`` file, read one line at a time and bounded (lines as
    :meth:`bytes.splitlines` cuts them; a byte order mark at the start dropped)."""
    try:
        with _open_regular(path, MAX_JSONL_BYTES, "one .jsonl file (split it)") as handle:
            number, total = 0, 0
            while chunk := handle.readline(MAX_JSONL_LINE_BYTES + 1):
                total += len(chunk)
                if total > MAX_JSONL_BYTES:
                    raise _Refused(
                        f"more than the limit of {MAX_JSONL_BYTES} bytes for one .jsonl file "
                        "(split it)"
                    )
                if len(chunk) > MAX_JSONL_LINE_BYTES:
                    raise ArticleError(
                        [
                            f"{path}:{number + 1}: line longer than {MAX_JSONL_LINE_BYTES} bytes, "
                            f"more than any article takes (a text has at most {MAX_TEXT_CHARS} "
                            "characters); nothing read after it"
                        ]
                    )
                if number == 0 and chunk.startswith(codecs.BOM_UTF8):
                    chunk = chunk[len(codecs.BOM_UTF8) :]
                for line in chunk.splitlines() or [b""]:
                    number += 1
                    yield number, line
    except OSError as exc:
        raise ArticleError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    except _Refused as exc:
        raise ArticleError([f"{path}: cannot read: {exc}"]) from None


def read_jsonl(path: Path) -> list[Article]:
    """Articles from a JSONL file: one object per line with ``text`` and metadata fields.

    Metadata values must be strings. Fields outside the manifest's are ignored, except that
    ``source_corpus``, ``source_repo``, ``source_commit`` and ``source_path`` are joined
    into ``source``. Blank lines and a UTF-8 byte order mark at the start of the file are
    skipped; a file with no line left is refused. Every problem of every line is raised
    together, each naming ``FILE:LINE``. The file is read one line at a time, bounded
    (:data:`MAX_JSONL_BYTES`, :data:`MAX_JSONL_LINE_BYTES`).
    """
    articles, problems = [], []
    lines = 0
    for number, line in _jsonl_lines(path):
        where = f"{path}:{number}"
        if not line.strip():
            continue
        lines += 1
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
        wrong = {
            k: type(record[k]).__name__
            for k in METADATA_FIELDS
            if k in record and not isinstance(record[k], str)
        }
        if wrong:
            problems.append(
                f"{where}: metadata must be strings: "
                + ", ".join(f"{k!r} is {kind}" for k, kind in wrong.items())
            )
            continue
        metadata = {k: record[k] for k in METADATA_FIELDS if k in record}
        if not metadata.get("source"):
            metadata["source"] = _source_of(record)
        article = make_article(record["text"], **metadata)
        found = article_problems(article)
        problems += [f"{where}: {p}" for p in found]
        if not found:
            articles.append(article)
    if not lines:
        problems.append(f"{path}: no articles in it: the file is empty or has only blank lines")
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
