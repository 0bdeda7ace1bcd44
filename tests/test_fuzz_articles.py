"""Property-based: random article files through `frontline articles add`.

The files are bytes: texts with CRLF, lone CR, zero-width characters, a byte order mark,
right-to-left text and bidi controls, combining marks, emoji, NUL and other control
characters, invalid UTF-8, empty and very large texts; plain .txt files with metadata
options, and .jsonl files with missing, empty, mistyped or malformed fields, duplicate keys,
lone surrogates, truncated lines and blank lines. Every run must end in one of two ways:

* exit 0, each article stored byte-exact (``seeds/texts/<id>.txt`` holds exactly the text,
  the manifest's sha256 is that of those bytes, the metadata as given), ``articles check``
  passes, and the text survives tokenization and sentence splitting; or
* exit 1 with a ``frontline: error:`` message naming the file or the article and the
  problem, no traceback, and ``seeds/`` byte-identical to before.

Which of the two is decided here, independently, by the policy of
:mod:`frontline.core.articles` (see its docstring): a text is refused if it is not UTF-8, has a
lone surrogate, a control character other than TAB/LF/CR, a lone CR, a leading byte order
mark, nothing visible, or more than MAX_TEXT_CHARS characters; metadata is refused if the
id is not ``[A-Za-z0-9][A-Za-z0-9_.-]{0,199}``, the date not a real YYYY-MM-DD from 1900-01-01
to today, the url neither "" nor http(s) with a host, a field has a control character, title,
date or licence is empty, or there is neither url nor source; a .jsonl file with no line
that is not blank is refused; the collection is refused on a duplicate id (also up to case)
or text, also up to line ends, whitespace and NFC. So the test fails on a crash, a partial
write, and on accepting or refusing the wrong thing.

The examples are derandomized (the same every run: CI must not fail on an example no one
can reproduce); set FRONTLINE_FUZZ_EXPLORE=1 to draw new ones.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import unicodedata
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import REPO
from hypothesis import event, given, settings
from hypothesis import strategies as st

from frontline.cli import main
from frontline.core.articles import MAX_TEXT_CHARS, add_articles, make_article
from frontline.core.text import nlp, parse, sentence_spans

EXPLORE = bool(os.environ.get("FRONTLINE_FUZZ_EXPLORE"))
FIELDS = ("id", "title", "date", "url", "license", "attribution", "source", "topic")
EXISTING = make_article(
    "Troops left Basra at dawn.",
    id="existing",
    title="Existing",
    date="2024-11-30",
    url="https://example.org/e",
    license="CC BY 4.0",
)

# --- the policy, restated independently -------------------------------------------------------

ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")


def text_faults(text: str) -> list[str]:
    """What must make a text be refused: each an excerpt of the expected message."""
    faults = []
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        faults.append("lone surrogate")
    if len(text) > MAX_TEXT_CHARS:
        faults.append(f"more than the limit of {MAX_TEXT_CHARS}")
    if text.startswith("\ufeff"):
        faults.append("byte order mark")
    if any((ord(c) < 0x20 and c not in "\t\n\r") or 0x7F <= ord(c) <= 0x9F for c in text):
        faults.append("control character")
    if re.search("\r(?!\n)", text):
        faults.append("lone carriage return")
    if not any(not (c.isspace() or unicodedata.category(c) == "Cf") for c in text):
        faults.append("text is empty")
    return faults


def metadata_faults(meta: dict[str, str]) -> list[str]:
    faults = []
    if not ID.fullmatch(meta["id"]):
        faults.append("id must match")
    for name in FIELDS:
        if any(
            ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF
            for c in meta[name]
        ):
            faults.append(f"{name} has a control character")
    for name in ("title", "date", "license"):
        if not meta[name].strip():
            faults.append(f"{name} is empty")
    if not (meta["url"] or meta["source"]):
        faults.append("needs a url or a source")
    if meta["url"] and not re.fullmatch(
        r"https?://[^\s/?#@:\[\]]+(:[0-9]{1,4})?([/?#]\S*)?", meta["url"], re.IGNORECASE
    ):
        faults.append("is not an http:// or https:// URL with a host")
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", meta["date"]):
            raise ValueError
        date = dt.date.fromisoformat(meta["date"])
    except ValueError:
        faults.append("is not YYYY-MM-DD")
    else:
        if not dt.date(1900, 1, 1) <= date <= dt.date.today() + dt.timedelta(days=1):
            faults.append("is not between 1900-01-01 and today")
    return faults


@dataclass
class Expected:
    """What adding the generated files must do."""

    articles: list[tuple[dict[str, str], str]] = field(
        default_factory=list
    )  # (metadata, text) accepted
    faults: list[str] = field(
        default_factory=list
    )  # excerpts of the messages that must refuse them


def expect_plain(data: bytes, meta: dict[str, str], expected: Expected) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        expected.faults.append("is not UTF-8")
        return
    found = text_faults(text) + metadata_faults(meta)
    expected.faults += found
    if not found:
        expected.articles.append((meta, text))


def _no_duplicate_keys(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def expect_jsonl(data: bytes, expected: Expected) -> None:
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    if not data.strip():
        expected.faults.append("no articles in it")
    for line in data.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line.decode("utf-8"), object_pairs_hook=_no_duplicate_keys)
        except (ValueError, RecursionError):
            expected.faults.append("not a JSON line")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            expected.faults.append("expected an object with a string 'text'")
            continue
        if any(k in record and not isinstance(record[k], str) for k in FIELDS):
            expected.faults.append("metadata must be strings")
            continue
        meta = {k: record.get(k, "") for k in FIELDS}
        meta["source"] = meta["source"] or str(record.get("source_corpus", ""))
        found = text_faults(record["text"]) + metadata_faults(meta)
        expected.faults += found
        if not found:
            expected.articles.append((meta, record["text"]))


def normal(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text.replace("\r\n", "\n"))).strip()


def expect_collection(expected: Expected) -> None:
    ids, folded, texts = {EXISTING.id}, {EXISTING.id.lower()}, {EXISTING.text}
    normals = {normal(EXISTING.text)}
    for meta, text in expected.articles:
        if meta["id"] in ids:
            expected.faults.append("duplicate id")
        elif meta["id"].lower() in folded:
            expected.faults.append("differs only in case")
        if text in texts:
            expected.faults.append("same text as")
        elif normal(text) in normals:
            expected.faults.append("nearly the same text as")
        ids.add(meta["id"])
        folded.add(meta["id"].lower())
        texts.add(text)
        normals.add(normal(text))


# --- what is generated ---------------------------------------------------------------------

CLEAN = [
    "Rebels took Aleppo.",
    "Troops",
    " ",
    " ",
    "\n",
    "\r\n",
    "\n\n",
    "\t",
    "U.S.",
    "Lt. Col. Smith said.",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u202e",
    "\u202c",
    "\u200f",
    "\u2067",
    "\u05e9\u05dc\u05d5\u05dd",
    "\u0645\u0631\u062d\u0628\u0627",
    "e\u0301",
    "\u0301",
    "\U0001f600",
    "\U0001f1f8\U0001f1fe",
    "\u00a0",
    "\u2028",
    "\u2029",
    "\u2014",
    "\u2019s",
    "\ufb01",
    "\u0130",
    "\u00df",
    "\ufffd",
    "\U00010348",
]
FAULTY = ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f", "\r", "\x0b", "\x0c", "\x1c"]
TEXTS = st.lists(
    st.one_of(
        st.sampled_from(CLEAN),
        st.sampled_from(CLEAN),
        st.sampled_from(FAULTY),
        st.text(max_size=12),
    ),
    max_size=12,
).map("".join)
CLEAN_TEXTS = st.lists(
    st.one_of(
        st.sampled_from(CLEAN), st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=12)
    ),
    min_size=1,
    max_size=8,
).map("".join)
BAD_BYTES = [
    b"\xff",
    b"\xfe",
    b"\xc3",
    b"\x80",
    b"\xed\xa0\x80",
    b"\xc0\xaf",
    b"\xf4\x90\x80\x80",
    b"\xe2\x82",
]

# per field: good values first (GOOD), then the bad ones
GOOD_IDS = ["report", "report-2", "A_1.b", "x", "x" * 200, "w1"]
IDS = GOOD_IDS + [
    "x" * 201,
    "bad id",
    "",
    ".hidden",
    "-dash",
    "a\n",
    "caf\u00e9",
    "Existing",
    "existing",
    "REPORT",
    "r\x00",
    "a/b",
]
GOOD = {
    "title": ["Rebels take town", "\u202eTitle", "\u05e9\u05dc\u05d5\u05dd", "T\u00a0x"],
    "date": ["2024-12-01", "2024-02-29", "1900-01-01"],
    "url": [
        "https://example.org/r",
        "https://example.org/\u0645",
        "http://example.org",
        "HTTPS://E.ORG:8080/a?b#c",
    ],
    "license": ["CC BY 4.0", "public domain"],
    "attribution": ["", "Example", "A\u00a0B"],
    "source": ["Wire copy", "", "\u202bsource"],
    "topic": ["", "Syria"],
}
BAD = {
    "title": ["", "   ", "Two\nlines", "Tab\there", "T\x85"],
    "date": [
        "2023-02-29",
        "2024-13-01",
        "20241201",
        "2024-W48-1",
        "1 Dec 2024",
        "",
        "\u0662\u0660\u0662\u0664-12-01",
        "2024-12-01\n",
        " 2024-12-01",
        "2024-12-01T00:00",
        "0001-01-01",
        "1899-12-31",
        "2999-01-01",
    ],
    "url": [
        "u\x00",
        "",
        "javascript:alert(1)",
        "file:///etc/passwd",
        " ",
        "https://",
        "example.org/a",
        "ftp://example.org/a",
        "http://exa mple.org/",
        "https:///x",
        "u",
    ],
    "license": ["", " "],
    "attribution": ["\r\n"],
    "source": ["line\nbreak"],
    "topic": ["x\ty"],
}


def metadata(draw, clean: bool) -> dict[str, str]:
    """Metadata from the pools above: good values only if ``clean``, else any."""
    meta = {"id": draw(st.sampled_from(GOOD_IDS if clean else IDS))}
    for name in FIELDS[1:]:
        meta[name] = draw(st.sampled_from(GOOD[name] if clean else GOOD[name] + BAD[name]))
    return meta


def damage(draw, data: bytes) -> bytes:
    """Break the bytes: invalid UTF-8 somewhere, a cut (maybe inside a character), a BOM."""
    kind = draw(st.sampled_from(["insert", "truncate", "bom"]))
    if kind == "insert":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.sampled_from(BAD_BYTES)) + data[at:]
    if kind == "truncate" and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    return codecs.BOM_UTF8 + data


def near_copy(draw, text: str) -> str:
    """The same text, or one that differs only in line ends, whitespace or normalisation."""
    kind = draw(st.sampled_from(["same", "same", "crlf", "newline", "spaces", "strip", "nfd"]))
    if kind == "crlf":
        return text.replace("\n", "\r\n").replace(" ", "\r\n", 1)
    if kind == "newline":
        return text + draw(st.sampled_from(["\n", "\r\n", "\n\n", " ", "\u00a0"]))
    if kind == "spaces":
        return text.replace(" ", draw(st.sampled_from(["  ", "\t", " \n ", "\u2028"])))
    if kind == "strip":
        return "\n" + text.strip()
    if kind == "nfd":
        return unicodedata.normalize("NFD", text)
    return text


def text_fault(draw, text: str) -> str:
    """One thing wrong with a text: a control character or lone CR, a BOM, no visible character."""
    kind = draw(st.sampled_from(["piece", "piece", "bom", "empty", "surrogate"]))
    if kind == "piece":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from(FAULTY)) + text[at:]
    if kind == "bom":
        return "\ufeff" + text
    if kind == "empty":
        return draw(st.sampled_from(["", " ", "\r\n", "\u200b", "\ufeff", "\t\u2060\n"]))
    return text + draw(st.sampled_from(["\ud800", "\udfff"]))  # only JSON can carry it (and argv)


def jsonl_record(draw, clean: bool, number: int) -> dict:
    record = {
        k: v for k, v in metadata(draw, clean).items() if clean or draw(st.integers(0, 5))
    }  # some missing
    for name in draw(
        st.lists(st.sampled_from(FIELDS), max_size=0 if clean else 1)
    ):  # a mistyped field
        record[name] = draw(st.sampled_from([None, 5, 2024.5, True, [], {"a": 1}]))
    if draw(st.booleans()):
        record["source_corpus"] = draw(
            st.sampled_from(["AMALGUM", ""] + ([] if clean else ["x\ny"]))
        )
    if draw(st.booleans()):
        record["n_words"] = draw(st.integers(0, 99))
    if clean:
        record["id"] = (
            f"{record['id'][:190]}-{number}"  # distinct ids and texts: clean input must be accepted
        )
        record["text"] = f"No {number}. " + draw(CLEAN_TEXTS)
    else:
        record["text"] = (
            draw(TEXTS) if draw(st.integers(0, 6)) else draw(st.sampled_from([None, 5, ["a"]]))
        )
    return record


def jsonl_line(draw, record: dict, kind: str = "record") -> bytes:
    line = json.dumps(
        record,
        ensure_ascii=draw(st.booleans())
        or any(isinstance(v, str) and re.search("[\ud800-\udfff]", v) for v in record.values()),
    )
    if kind == "truncated":
        line = line[: draw(st.integers(0, len(line) - 1))]
    elif kind == "garbage":
        line = draw(
            st.sampled_from(["not json", "{", "'single'", '{"text": "a",}', "NaN", "[1, 2"])
        )
    elif kind == "blank":
        line = draw(st.sampled_from(["", "   ", "\t"]))
    elif kind == "array":
        line = json.dumps([record])
    elif kind == "deep":
        line = "[" * 20_000 + "]" * 20_000
    elif kind == "dup_key":
        line = line[:-1] + ', "id": "other-id"}'
    data = line.encode("utf-8")
    if kind == "bad_utf8":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from(BAD_BYTES)) + data[at:]
    return data


LINE_KINDS = ["truncated", "garbage", "blank", "array", "deep", "dup_key", "bad_utf8"]


def plain_files(draw, mode: str, expected: Expected) -> tuple[list[tuple[str, bytes]], list[str]]:
    clean = mode != "wild"
    count = draw(st.integers(1, 3))
    meta = metadata(draw, clean)
    given_id = count == 1 and draw(st.booleans())
    stems = draw(
        st.lists(
            st.sampled_from(
                [i for i in (GOOD_IDS if clean else IDS) if i and "/" not in i and "\x00" not in i]
            ),
            min_size=count,
            max_size=count,
            unique=True,
        )
    )
    texts = [f"No {n}. " + draw(CLEAN_TEXTS) if clean else draw(TEXTS) for n, _ in enumerate(stems)]
    broken = None  # the one file whose bytes are damaged
    if mode == "one":
        target = draw(st.integers(0, count - 1))
        kind = draw(st.sampled_from(["text", "bytes", "meta", "id", "duplicate"]))
        if kind == "text":
            texts[target] = (
                text_fault(draw, texts[target]).replace("\ud800", "\x00").replace("\udfff", "\x00")
            )
        elif kind == "bytes":
            broken = target
        elif kind == "meta":
            name = draw(st.sampled_from(FIELDS[1:]))
            meta[name] = draw(st.sampled_from(BAD[name]))
        elif kind == "id":
            bad = draw(
                st.sampled_from(
                    [i for i in IDS[len(GOOD_IDS) :] if i and "/" not in i and "\x00" not in i]
                )
            )
            if given_id:
                meta["id"] = bad
            elif bad not in stems:
                stems[target] = bad
        elif count > 1 and draw(st.booleans()):
            texts[target] = near_copy(draw, texts[target - 1])
        elif draw(st.booleans()) or given_id:
            texts[target] = near_copy(draw, EXISTING.text)
        elif "EXISTING" not in stems:
            stems[target] = "EXISTING"
    elif mode == "wild" and draw(st.booleans()):
        broken = draw(st.integers(0, count - 1))
    options = [f"--{name}={value}" for name, value in meta.items() if name != "id" or given_id]
    files = []
    for number, (stem, text) in enumerate(zip(stems, texts, strict=True)):
        data = text.encode("utf-8")
        data = damage(draw, data) if number == broken else data
        files.append((f"{stem}.txt", data))
        expect_plain(data, {**meta, "id": meta["id"] if given_id else stem}, expected)
    return files, options


def jsonl_files(draw, mode: str, expected: Expected) -> list[tuple[str, bytes]]:
    clean = mode != "wild"
    files = []
    for number in range(draw(st.integers(1, 2))):
        records = [
            jsonl_record(draw, clean, 10 * number + k)
            for k in range(draw(st.integers(0 if mode == "wild" else 1, 4)))
        ]
        kinds = ["record"] * len(records)
        if mode == "wild":
            kinds = [draw(st.sampled_from(["record"] * 3 + LINE_KINDS)) for _ in records]
            for record in records:
                if draw(st.integers(0, 4)) == 0:
                    record["text"] = (
                        text_fault(draw, record["text"])
                        if isinstance(record["text"], str)
                        else "\ud800"
                    )
        elif mode == "one" and number == 0:
            target = draw(st.integers(0, len(records) - 1))
            record = records[target]
            kind = draw(st.sampled_from(["line", "text", "meta", "type", "missing", "duplicate"]))
            if kind == "line":
                kinds[target] = draw(st.sampled_from(LINE_KINDS))
            elif kind == "text":
                record["text"] = text_fault(draw, record["text"])
            elif kind == "meta":
                name = draw(st.sampled_from(FIELDS[1:]))
                record[name] = draw(st.sampled_from(BAD[name]))
            elif kind == "type":
                record[draw(st.sampled_from([*FIELDS, "text"]))] = draw(
                    st.sampled_from([None, 5, True, [], {"a": 1}])
                )
            elif kind == "missing":
                del record[draw(st.sampled_from(["id", "title", "date", "license", "text"]))]
            else:
                record.update(
                    draw(
                        st.sampled_from(
                            [
                                {"id": EXISTING.id},
                                {"text": near_copy(draw, EXISTING.text)},
                                {"id": EXISTING.id.upper()},
                            ]
                        )
                    )
                )
        lines = [jsonl_line(draw, r, k) for r, k in zip(records, kinds, strict=True)]
        if mode != "clean" and draw(st.integers(0, 3)) == 0:
            lines.insert(draw(st.integers(0, len(lines))), b"")  # a blank line is skipped
        data = draw(st.sampled_from([b"\n", b"\r\n"])).join(lines) + draw(
            st.sampled_from([b"", b"\n"])
        )
        if draw(st.integers(0, 4)) == 0:
            data = codecs.BOM_UTF8 + data  # read past at the start of a .jsonl
        files.append((f"batch-{number}.jsonl", data))
        expect_jsonl(data, expected)
    return files


@st.composite
def article_files(draw):
    """(files as (name, bytes), extra CLI options, the expected outcome).

    Three modes: ``clean`` (good input, to test acceptance), ``one`` (good input with exactly
    one thing wrong, so that each rule alone must refuse it) and ``wild`` (anything)."""
    expected = Expected()
    mode = draw(st.sampled_from(["clean", "one", "one", "wild"]))
    event(f"mode {mode}")
    if draw(st.sampled_from(["plain", "plain", "jsonl"])) == "plain":
        files, options = plain_files(draw, mode, expected)
    else:
        files, options = jsonl_files(draw, mode, expected), []
    expect_collection(expected)
    return files, options, expected


# --- running and checking ------------------------------------------------------------------


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A project with the real scheme and one article."""
    root = tmp_path_factory.mktemp("fuzz-articles") / "template"
    (root / "annotation").mkdir(parents=True)
    shutil.copy(REPO / "annotation" / "scheme.toml", root / "annotation" / "scheme.toml")
    add_articles(root / "seeds", [EXISTING])
    return root


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def add_and_check(
    template: Path, files: list[tuple[str, bytes]], options: list[str], expected: Expected
) -> int:
    work = Path(tempfile.mkdtemp(dir=template.parent))
    try:
        root = shutil.copytree(template, work / "project")
        inputs = work / "in"
        inputs.mkdir()
        paths = []
        for name, data in files:
            (inputs / name).write_bytes(data)
            paths.append(str(inputs / name))
        before = snapshot(root / "seeds")
        code, out, err = run("--root", str(root), "--quiet", "articles", "add", *paths, *options)
        if expected.faults:
            assert code == 1, f"accepted, but expected {expected.faults}"
            assert err.startswith("frontline: error: "), err
            assert "Traceback" not in err
            assert any(f in err for f in expected.faults), (expected.faults, err)
            assert any(p in err for p in paths) or "article '" in err, (
                err
            )  # names the file or the article
            assert snapshot(root / "seeds") == before  # nothing written, nothing half-written
        else:
            assert code == 0, err
            check_stored(root / "seeds", before, expected)
            assert run("--root", str(root), "articles", "check")[0] == 0
        return code
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_stored(seeds: Path, before: dict[str, bytes], expected: Expected) -> None:
    after = snapshot(seeds)
    new_texts = {f"texts/{meta['id']}.txt" for meta, _ in expected.articles}
    assert set(after) == set(before) | new_texts  # the texts, and nothing else new
    assert {k: v for k, v in after.items() if k != "manifest.json" and k not in new_texts} == {
        k: v for k, v in before.items() if k != "manifest.json"
    }  # what was there is untouched
    entries = {e["id"]: e for e in json.loads(after["manifest.json"])["articles"]}
    assert len(entries) == len(expected.articles) + 1
    for meta, text in expected.articles:
        data = text.encode("utf-8")
        assert after[f"texts/{meta['id']}.txt"] == data  # byte-exact
        entry = entries[meta["id"]]
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
        assert {k: entry[k] for k in FIELDS} == meta
        doc = parse(text)  # what is accepted can be tokenized and split
        for start, end in sentence_spans(doc):
            assert (
                0 <= start < end <= len(text)
                and not text[start].isspace()
                and not text[end - 1].isspace()
            )


@settings(max_examples=800, deadline=None, derandomize=not EXPLORE)
@given(article_files())
def test_article_files_are_stored_exactly_or_refused_cleanly(template, example):
    files, options, expected = example
    code = add_and_check(template, files, options, expected)
    event(f"exit {code}")
    for fault in sorted({re.sub(r"[0-9]+", "N", f) for f in expected.faults}):
        event(f"refused for: {fault}")


def _long_text(size: int) -> str:
    pieces = [
        "Rebels took Aleppo.",
        " ",
        "\r\n",
        "\u05e9\u05dc\u05d5\u05dd",
        " e\u0301 ",
        "\U0001f600",
        "\u200b",
        "\u202eGaza\u202c",
        "U.S. troops",
        "\n\n",
    ]
    text = "".join(pieces[(i * 7) % len(pieces)] for i in range(size // 4 + 10))[:size]
    return text[:-1] + "." if text.endswith("\r") else text


@pytest.mark.parametrize(
    "size, kind",
    [
        (MAX_TEXT_CHARS, "txt"),
        (MAX_TEXT_CHARS + 1, "txt"),
        (3_000_000, "jsonl"),
        (MAX_TEXT_CHARS - 1, "jsonl"),
    ],
)
def test_very_large_texts_are_stored_exactly_or_refused_cleanly(template, size, kind):
    text = _long_text(size)
    assert len(text) == size and text_faults(text) == (
        [] if size <= MAX_TEXT_CHARS else [f"more than the limit of {MAX_TEXT_CHARS}"]
    )
    meta = {
        "id": f"long-{kind}",
        "title": "Long",
        "date": "2024-12-01",
        "url": "https://example.org/l",
        "license": "CC BY 4.0",
        "attribution": "",
        "source": "",
        "topic": "",
    }
    expected = Expected()
    if kind == "txt":
        data = text.encode("utf-8")
        options = [f"--{k}={v}" for k, v in meta.items()]
        expect_plain(data, meta, expected)
        files = [(f"{meta['id']}.txt", data)]
    else:
        data = json.dumps({**meta, "text": text}, ensure_ascii=False).encode("utf-8") + b"\n"
        options = []
        expect_jsonl(data, expected)
        files = [("long.jsonl", data)]
    expect_collection(expected)
    assert add_and_check(template, files, options, expected) == (0 if size <= MAX_TEXT_CHARS else 1)


def test_the_tokenizer_takes_the_longest_text_allowed():
    assert nlp().max_length >= MAX_TEXT_CHARS


def _record(**fields) -> bytes:
    base = {
        "id": "w1",
        "title": "T",
        "date": "2024-12-01",
        "url": "https://example.org/w",
        "license": "L",
        "text": "Rebels took Aleppo.",
    }
    return (json.dumps({**base, **fields}) + "\n").encode("utf-8")


PLAIN = ["--title=T", "--date=2024-12-01", "--url=https://example.org/r", "--license=L"]


@pytest.mark.parametrize(
    "files, options, fault",
    [
        # each was accepted (or crashed) before the fix that this test pins
        (
            [("r.txt", b"Rebels took Aleppo.")],
            ["--title=T", "--date=20241201", "--url=u", "--license=L"],
            "is not YYYY-MM-DD",
        ),
        (
            [("r.txt", b"Rebels took Aleppo.")],
            ["--title=T", "--date=2024-W48-1", "--url=u", "--license=L"],
            "is not YYYY-MM-DD",
        ),
        ([("r.txt", b"Rebels took Aleppo.")], ["--id=r\n", *PLAIN], "id must match"),
        ([("r.txt", b"Rebels\x00 took Aleppo.")], PLAIN, "control character"),
        ([("r.txt", "Rebels \u0085took.".encode())], PLAIN, "control character"),
        ([("r.txt", b"\xef\xbb\xbfRebels took Aleppo.")], PLAIN, "byte order mark"),
        ([("r.txt", b"Rebels took Aleppo.\rKurds fled.")], PLAIN, "lone carriage return"),
        ([("r.txt", "\u200b\u2060\n".encode())], PLAIN, "text is empty"),
        (
            [("r.txt", b"Rebels took Aleppo.")],
            ["--title=Two\nlines", *PLAIN[1:]],
            "title has a control character",
        ),
        ([("a.txt", b"One text."), ("A.txt", b"Other text.")], PLAIN, "differs only in case"),
        ([("n.jsonl", _record(title=None))], [], "metadata must be strings"),
        ([("n.jsonl", _record(date=20241201))], [], "metadata must be strings"),
        ([("s.jsonl", _record(text="Rebels \ud800 took."))], [], "lone surrogate"),
        ([("s.jsonl", _record(title="T\udfff"))], [], "title has a control character"),
        ([("d.jsonl", b"[" * 100_000 + b"\n")], [], "not a JSON line"),
        ([("k.jsonl", _record()[:-2] + b', "id": "w2"}\n')], [], "not a JSON line"),
        (
            [
                (
                    "k.jsonl",
                    json.dumps(
                        {
                            "title": "T",
                            "date": "2024-12-01",
                            "url": "u",
                            "license": "L",
                            "text": "x y",
                        }
                    ).encode(),
                )
            ],
            [],
            "id must match",
        ),
        # issue 16: urls, dates, near-duplicate texts, a .jsonl file with no article
        (
            [("r.txt", b"Rebels took Aleppo.")],
            ["--url=javascript:alert(1)", *PLAIN[:2], PLAIN[3]],
            "is not an http:// or https:// URL with a host",
        ),
        (
            [("n.jsonl", _record(url="file:///etc/passwd"))],
            [],
            "is not an http:// or https:// URL with a host",
        ),
        (
            [("n.jsonl", _record(url=" ", source="S"))],
            [],
            "is not an http:// or https:// URL with a host",
        ),
        ([("n.jsonl", _record(date="0001-01-01"))], [], "is not between 1900-01-01 and today"),
        (
            [("r.txt", b"Rebels took Aleppo.")],
            ["--date=2999-01-01", PLAIN[0], *PLAIN[2:]],
            "is not between 1900-01-01 and today",
        ),
        ([("r.txt", b"Troops left Basra\r\nat dawn.")], PLAIN, "nearly the same text as"),
        ([("n.jsonl", _record(text=EXISTING.text + "\n"))], [], "nearly the same text as"),
        (
            [("n.jsonl", _record() + _record(id="w2", text=" Rebels  took Aleppo.\r\n"))],
            [],
            "nearly the same text as",
        ),
        ([("e.jsonl", b"")], [], "no articles in it"),
        ([("e.jsonl", b"\r\n \n")], [], "no articles in it"),
        # accepted: a blank line and a byte order mark in a .jsonl file, CRLF and astral characters
        ([("b.jsonl", _record() + b"\n\n")], [], None),
        ([("b.jsonl", codecs.BOM_UTF8 + _record())], [], None),
        (
            [("c.txt", "Rebels\r\ntook \U0001f600 \u202eAleppo\u202c e\u0301.\r\n".encode())],
            PLAIN,
            None,
        ),
        ([("n.jsonl", _record(url="", source="S", date="1900-01-01"))], [], None),
    ],
)
def test_minimal_cases_found_by_fuzzing(template, files, options, fault):
    expected = Expected()
    for name, data in files:
        if name.endswith(".jsonl"):
            expect_jsonl(data, expected)
        else:
            meta = {k: "" for k in FIELDS}
            meta.update({arg[2:].split("=", 1)[0]: arg.split("=", 1)[1] for arg in options})
            expect_plain(data, {**meta, "id": meta["id"] or name[:-4]}, expected)
    expect_collection(expected)
    assert (
        (fault in expected.faults) if fault else not expected.faults
    )  # the policy above says so too
    assert add_and_check(template, files, options, expected) == (1 if fault else 0)


def test_unreadable_inputs_are_named(template, tmp_path):
    """A directory given as a text file, and a .jsonl file that is not there (tracebacks before)."""
    root = shutil.copytree(template, tmp_path / "project")
    (tmp_path / "d.txt").mkdir()
    for path, options in ((tmp_path / "d.txt", PLAIN), (tmp_path / "m.jsonl", [])):
        code, out, err = run("--root", str(root), "--quiet", "articles", "add", str(path), *options)
        assert (
            code == 1
            and err.startswith("frontline: error: ")
            and "cannot read" in err
            and str(path) in err
        ), err
    assert snapshot(root / "seeds") == snapshot(template / "seeds")
