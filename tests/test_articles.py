import json
from pathlib import Path

import pytest

from frontline.core.articles import (
    ArticleError,
    add_articles,
    check_articles,
    load_articles,
    make_article,
    read_jsonl,
    read_plain,
    sha256_text,
)
from frontline.errors import FrontlineError

META = dict(
    title="Rebels take town",
    date="2024-12-01",
    url="https://example.org/a",
    license="CC BY 4.0",
    attribution="Example",
    source="",
    topic="",
)


def art(id: str = "a1", text: str = "Rebels took Aleppo.", **kw: str):
    return make_article(text, **{**META, "id": id, **kw})


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_sha256_of_utf8_bytes():
    # printf 'Aleppo' | sha256sum
    assert (
        sha256_text("Aleppo") == "4a753c0109794e63f8a63ecf35bbdd0a6d2200920b42c53975aa36622dd597e3"
    )


def test_add_then_load_is_byte_exact(tmp_path):
    text = "BEIRUT — Iraqi militias\r\nmoved.\u200b"
    add_articles(tmp_path, [art("b", text), art("a", "Other text.")])
    assert (tmp_path / "texts" / "b.txt").read_bytes() == text.encode("utf-8")
    loaded = load_articles(tmp_path)
    assert [a.id for a in loaded] == ["a", "b"]
    assert loaded[1].text == text
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["articles"][1]["file"] == "texts/b.txt"
    assert manifest["articles"][1]["sha256"] == sha256_text(text)


def test_adding_the_same_article_twice_is_refused_and_nothing_changes(tmp_path):
    add_articles(tmp_path, [art("a")])
    before = (tmp_path / "manifest.json").read_bytes()
    with pytest.raises(ArticleError) as err:
        add_articles(tmp_path, [art("new", "New text."), art("a", "Changed.")])
    assert "article 'a': duplicate id" in err.value.problems
    assert (tmp_path / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "texts").iterdir()) == ["a.txt"]


def test_same_text_under_another_id_is_refused(tmp_path):
    add_articles(tmp_path, [art("a")])
    with pytest.raises(ArticleError, match="article 'b': same text as article 'a'"):
        add_articles(tmp_path, [art("b")])


def test_a_write_failing_while_staging_leaves_nothing(tmp_path, monkeypatch):
    """Disk full before the commit point: nothing in texts/, no manifest, no staging folder."""
    real = Path.write_bytes

    def fail_on_manifest(path: Path, data: bytes) -> int:
        if path.name == "manifest.json":
            raise OSError("disk full")
        return real(path, data)

    monkeypatch.setattr(Path, "write_bytes", fail_on_manifest)
    with pytest.raises(ArticleError) as err:
        add_articles(tmp_path, [art("a"), art("b", "Second.")])
    assert err.value.problems == [f"cannot write in {tmp_path}: disk full; nothing was added"]
    assert (
        sorted(p.name for p in tmp_path.rglob("*")) == []
    )  # not even an empty texts/ or .staging/


def test_a_commit_failing_after_its_journal_is_completed_by_the_next_check(tmp_path, monkeypatch):
    """A failure after the commit point (here every rename fails, so the add cannot finish it
    itself): readers refuse the half-done collection, the next check completes it."""
    import frontline.core.articles as mod

    add_articles(tmp_path, [art("a")])

    real = mod.os.replace

    def fail_into_texts(src, dst):
        if Path(dst).parent == tmp_path / "texts":
            raise OSError("I/O error")
        real(src, dst)

    monkeypatch.setattr(mod.os, "replace", fail_into_texts)
    with pytest.raises(ArticleError) as err:
        add_articles(tmp_path, [art("b", "Second."), art("c", "Third.")])
    assert err.value.problems == [
        f"cannot write in {tmp_path}: I/O error; the add is committed but not complete: "
        "run `frontline articles check` to complete it"
    ]
    monkeypatch.undo()
    assert (tmp_path / ".staging" / "journal.json").exists()
    with pytest.raises(ArticleError) as err:
        load_articles(tmp_path)
    assert err.value.problems == [
        f"{tmp_path / '.staging'}: an interrupted `frontline articles add` is half "
        "committed: run `frontline articles check` to complete it"
    ]
    said = []
    assert [a.id for a in check_articles(tmp_path, report=said.append)] == ["a", "b", "c"]
    assert said == [f"completed an interrupted add: its 2 article(s) are now in {tmp_path}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "texts"]


def test_a_commit_whose_first_try_fails_once_is_completed_by_the_add_itself(tmp_path, monkeypatch):
    import frontline.core.articles as mod

    real, failed = mod.os.replace, []

    def fail_once(src, dst):
        if Path(dst).parent == tmp_path / "texts" and not failed:
            failed.append(dst)
            raise OSError("I/O error")
        real(src, dst)

    monkeypatch.setattr(mod.os, "replace", fail_once)
    assert [a.id for a in add_articles(tmp_path, [art("b", "Second."), art("c", "Third.")])] == [
        "b",
        "c",
    ]
    assert failed and [a.id for a in load_articles(tmp_path)] == ["b", "c"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json", "texts"]


def test_check_rolls_back_a_staging_folder_without_journal(tmp_path):
    add_articles(tmp_path, [art("a")])
    before = snapshot(tmp_path)
    (tmp_path / ".staging" / "texts").mkdir(parents=True)
    (tmp_path / ".staging" / "texts" / "b.txt").write_text("Staged, never committed.")
    said = []
    assert [a.id for a in check_articles(tmp_path, report=said.append)] == ["a"]
    assert said == [
        f"rolled back an interrupted add: removed {tmp_path / '.staging'} and the 1 file(s) staged "
        "in it (none of its articles had been added)"
    ]
    assert snapshot(tmp_path) == before
    assert check_articles(tmp_path, report=said.append) and len(said) == 1  # nothing more to do


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"text": "  \n"}, "article 'a1': text is empty"),
        ({"date": "1 Dec 2024"}, "article 'a1': date '1 Dec 2024' is not YYYY-MM-DD"),
        ({"id": "bad id"}, "article 'bad id': id must match"),
        ({"title": ""}, "article 'a1': title is empty"),
        ({"url": "", "source": ""}, "article 'a1': needs a url or a source"),
    ],
)
def test_invalid_article_is_refused_with_its_name(tmp_path, kw, message):
    with pytest.raises(ArticleError) as err:
        add_articles(tmp_path, [art(**kw)])
    assert any(p.startswith(message) for p in err.value.problems), err.value.problems


@pytest.fixture()
def seeds(tmp_path):
    add_articles(tmp_path, [art("a"), art("b", "Second text.")])
    return tmp_path


def test_check_names_a_changed_text(seeds):
    (seeds / "texts" / "b.txt").write_text("Second text!", encoding="utf-8")
    with pytest.raises(ArticleError) as err:
        load_articles(seeds)
    assert err.value.problems[0].startswith("article 'b': sha256 mismatch: manifest says ")


def test_check_names_a_missing_file_and_a_stray_file(seeds):
    (seeds / "texts" / "a.txt").rename(seeds / "texts" / "stray.txt")
    with pytest.raises(ArticleError) as err:
        load_articles(seeds)
    assert err.value.problems == [
        f"article 'a': text file {seeds / 'texts' / 'a.txt'} is missing",
        "texts/stray.txt is not listed in manifest.json (left by an interrupted add?): "
        "`frontline articles check --clean` removes it",
    ]


def test_check_names_non_utf8_text(seeds):
    (seeds / "texts" / "a.txt").write_bytes(b"Rebels \xff took Aleppo.")
    with pytest.raises(
        ArticleError, match=r"article 'a': .*a.txt is not UTF-8 \(invalid start byte at byte 7\)"
    ):
        load_articles(seeds)


def test_check_names_duplicate_ids_in_manifest(seeds):
    manifest = json.loads((seeds / "manifest.json").read_text())
    manifest["articles"].append(dict(manifest["articles"][0]))
    (seeds / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArticleError) as err:
        load_articles(seeds)
    assert "article 'a': duplicate id" in err.value.problems


def test_check_names_unsorted_and_malformed_manifest(seeds):
    manifest = json.loads((seeds / "manifest.json").read_text())
    manifest["articles"].reverse()
    (seeds / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArticleError, match="articles are not sorted by id"):
        load_articles(seeds)
    (seeds / "manifest.json").write_text("{not json")
    with pytest.raises(ArticleError, match="manifest.json is not valid JSON"):
        load_articles(seeds)


def test_read_jsonl_keeps_metadata_and_joins_source(tmp_path):
    record = {
        **META,
        "id": "w1",
        "text": "Troops moved.",
        "source_corpus": "AMALGUM",
        "source_repo": "o/r",
        "source_commit": "abc",
        "source_path": "p.conllu",
        "n_words": 2,
    }
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(record) + "\n")
    (article,) = read_jsonl(path)
    assert article.id == "w1" and article.text == "Troops moved."
    assert article.source == "AMALGUM; o/r@abc: p.conllu"


def test_read_jsonl_names_the_bad_line(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({**META, "id": "w1", "text": "x"}) + "\n{truncated\n")
    with pytest.raises(ArticleError, match=rf"{path}:2: not a JSON line"):
        read_jsonl(path)


def test_read_plain_uses_file_stem_as_id(tmp_path):
    path = tmp_path / "report-7.txt"
    path.write_bytes(b"Kurds fled.")
    article = read_plain(path, **META)
    assert (article.id, article.text, article.sha256) == (
        "report-7",
        "Kurds fled.",
        sha256_text("Kurds fled."),
    )


def test_real_seeds_are_valid(repo):
    articles = load_articles(repo.seeds)
    assert len(articles) == 86
    assert articles[0].id == "000_2deeeecf94034bb2"
    assert articles[0].sha256 == "4e95009de1b24a95a9f6b8f4aa8042d6d3a75278399620ba950bc4145546afbe"
    assert articles[0].license == "not stated"
    assert sum(a.license == "CC BY 2.5" for a in articles) == 82
    assert sum(a.license == "public domain" for a in articles) == 3


def test_one_scan_finds_every_character_the_text_checks_report():
    """``text_problems`` skips its three character checks when ``_SUSPECT`` finds nothing:
    it must match every character any of them matches."""
    from frontline.core.articles import _LONE_CR, _SURROGATE, _SUSPECT, _TEXT_CONTROL

    reported = [
        c
        for c in map(chr, range(0x110000))
        if _SURROGATE.search(c) or _TEXT_CONTROL.search(c) or _LONE_CR.search(c)
    ]
    assert len(reported) == 2048 + 29 + 33 + 1  # surrogates, C0 but TAB/LF/CR, DEL + C1, CR
    assert all(_SUSPECT.search(c) for c in reported)


# --- metadata: urls and dates ----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        " ",
        "https://",
        "https:///x",
        "ftp://example.org/a",
        "example.org/a",
        "http://exa mple.org/",
        " https://example.org",
        "https://example.org:99999/",
        "http://[::1/",
        "mailto:a@example.org",
    ],
)
def test_a_url_that_is_not_http_with_a_host_is_refused(tmp_path, url):
    with pytest.raises(ArticleError) as err:
        add_articles(tmp_path, [art(url=url)])
    assert err.value.problems == [
        f"article 'a1': url {url!r} is not an http:// or https:// URL with a host "
        '(give "" where the article has no URL)'
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/a",
        "http://example.org",
        "HTTPS://EXAMPLE.ORG/a?b=c#d",
        "https://en.wikinews.org/wiki/Merkel%3A_Georgia_will_join_NATO",
        "https://example.org/\u0645",
        "http://127.0.0.1:8080/x",
        "",
    ],
)
def test_http_urls_and_no_url_are_accepted(tmp_path, url):
    add_articles(tmp_path, [art(url=url, source="Wire copy")])
    assert load_articles(tmp_path)[0].url == url


@pytest.mark.parametrize("date", ["0001-01-01", "1899-12-31", "2999-01-01", "9999-12-31"])
def test_a_date_before_1900_or_after_today_is_refused(tmp_path, date):
    import datetime as dt

    latest = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=14)).date()
    with pytest.raises(ArticleError) as err:
        add_articles(tmp_path, [art(date=date)])
    assert err.value.problems == [
        f"article 'a1': date {date!r} is not between 1900-01-01 and today ({latest})"
    ]


def test_dates_from_1900_to_today_are_accepted(tmp_path):
    import datetime as dt

    today = dt.date.today().isoformat()
    add_articles(tmp_path, [art("a", date="1900-01-01"), art("b", "Other.", date=today)])
    assert [a.date for a in load_articles(tmp_path)] == ["1900-01-01", today]


# --- near-duplicate texts -------------------------------------------------------------

BASE = "BEIRUT \u2014 Iraqi militias moved.\nRebels took Aleppo.\n"


@pytest.mark.parametrize(
    "copy",
    [
        BASE.replace("\n", "\r\n"),  # CRLF line ends
        BASE + "\n",  # one more trailing newline
        BASE.rstrip("\n"),  # none
        "  " + BASE,  # leading whitespace
        BASE.replace(" ", "  "),  # runs of spaces
        BASE.replace("\n", "\n\n"),  # paragraphs
        BASE.replace("\u2014", "\u2014\u00a0"),  # a no-break space too
        "Caf\u00e9 " + BASE,
    ],
)
def test_a_near_duplicate_of_an_existing_text_is_refused_naming_it(tmp_path, copy):
    add_articles(tmp_path, [art("orig", BASE), art("cafe", "Cafe\u0301 " + BASE)])
    before = snapshot(tmp_path)
    with pytest.raises(ArticleError) as err:
        add_articles(tmp_path, [art("copy", copy)])
    other = "cafe" if copy.startswith("Caf") else "orig"  # NFC: e + combining acute is \u00e9
    assert err.value.problems == [
        f"article 'copy': nearly the same text as article {other!r}: they differ only "
        "in line ends, whitespace or Unicode normalisation (NFC)"
    ]
    assert snapshot(tmp_path) == before


def test_near_duplicates_within_one_batch_are_refused(tmp_path):
    with pytest.raises(ArticleError) as err:
        add_articles(
            tmp_path, [art("a", "Rebels took Aleppo."), art("b", "Rebels took Aleppo.\r\n")]
        )
    assert err.value.problems == [
        "article 'b': nearly the same text as article 'a': they differ only in line "
        "ends, whitespace or Unicode normalisation (NFC)"
    ]


def test_texts_that_differ_in_more_than_whitespace_are_distinct(tmp_path):
    add_articles(
        tmp_path,
        [
            art("a", "Rebels took Aleppo."),
            art("b", "Rebels took  Aleppo!"),
            art("c", "rebels took Aleppo."),
            art("d", "Rebelstook Aleppo."),
        ],
    )
    assert len(load_articles(tmp_path)) == 4


# --- .jsonl -----------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\n\n", b"\xef\xbb\xbf", b"  \r\n\t\n"])
def test_a_jsonl_file_without_articles_is_refused_naming_it(tmp_path, data):
    path = tmp_path / "none.jsonl"
    path.write_bytes(data)
    with pytest.raises(ArticleError) as err:
        read_jsonl(path)
    assert err.value.problems == [
        f"{path}: no articles in it: the file is empty or has only blank lines"
    ]


def test_articles_add_of_an_empty_jsonl_fails(empty_project, tmp_path, capsys):
    from frontline.cli import main

    path = tmp_path / "none.jsonl"
    path.write_bytes(b"")
    assert main(["--root", str(empty_project.root), "articles", "add", str(path)]) == 1
    assert (
        capsys.readouterr().err
        == f"frontline: error: {path}: no articles in it: the file is empty or has "
        "only blank lines\n"
    )
    assert not (empty_project.seeds / "manifest.json").exists()


def test_article_errors_are_frontline_errors():
    assert issubclass(ArticleError, FrontlineError) and issubclass(ArticleError, ValueError)


# --- check --clean ------------------------------------------------------------------------


def test_check_names_leftovers_and_clean_removes_exactly_them(empty_project, capsys):
    """What versions before the staged commit left when killed: texts not in the manifest,
    .tmp files in texts/ and in seeds/. `check` names each; `check --clean` removes them."""
    from frontline.cli import main

    root, seeds = str(empty_project.root), empty_project.seeds
    add_articles(seeds, [art("a"), art("b", "Second text.")])
    listed = snapshot(seeds)
    (seeds / "texts" / "stray.txt").write_text("Written by an add that was killed.")
    (seeds / "texts" / ".c.txt.k2j4x9.tmp").write_text("Half")
    (seeds / ".manifest.json.8f7a6b.tmp").write_text("{")
    assert main(["--root", root, "articles", "check"]) == 1
    hint = "`frontline articles check --clean` removes it"
    assert capsys.readouterr().err == (
        "frontline: error: 3 problems:\n"
        "  - texts/.c.txt.k2j4x9.tmp is not listed in manifest.json (left by an interrupted "
        f"add?): {hint}\n"
        "  - texts/stray.txt is not listed in manifest.json (left by an interrupted add?): "
        f"{hint}\n"
        f"  - .manifest.json.8f7a6b.tmp is a temporary file left by an interrupted write: {hint}\n"
    )
    assert (
        main(
            [
                "--root",
                root,
                "articles",
                "add",
                str(seeds / "texts" / "stray.txt"),
                "--title=T",
                "--date=2024-12-01",
                "--license=L",
                "--source=S",
            ]
        )
        == 1
    )  # add refuses too, saying the same
    assert hint in capsys.readouterr().err
    assert main(["--root", root, "articles", "check", "--clean"]) == 0
    assert capsys.readouterr().out == (
        f"removed {seeds / 'texts' / '.c.txt.k2j4x9.tmp'} (not listed in manifest.json)\n"
        f"removed {seeds / 'texts' / 'stray.txt'} (not listed in manifest.json)\n"
        f"removed {seeds / '.manifest.json.8f7a6b.tmp'} (a temporary file left by an interrupted "
        "write)\n"
        f"2 articles OK: manifest, UTF-8 and sha256 checked ({seeds})\n"
    )
    assert snapshot(seeds) == listed  # every listed text, byte for byte, and nothing else


def test_clean_never_removes_a_listed_text_nor_guesses(seeds):
    listed = snapshot(seeds)
    (seeds / "texts" / "A.txt").write_text("Same name as a.txt up to case.")
    (seeds / "texts" / "sub").mkdir()
    said = []
    with pytest.raises(ArticleError):
        check_articles(seeds, clean=True, report=said.append)
    assert said == [
        f"left {seeds / 'texts' / 'A.txt'}: its name differs only in case from a listed text; "
        "remove it by hand",
        f"left {seeds / 'texts' / 'sub'}: a folder; remove it by hand",
    ]
    (seeds / "texts" / "sub").rmdir()
    (seeds / "texts" / "A.txt").unlink()
    assert snapshot(seeds) == listed
    (seeds / "texts" / "stray.txt").write_text("x")
    (seeds / "manifest.json").write_text("{not json")
    with pytest.raises(ArticleError) as err:
        check_articles(seeds, clean=True)
    assert err.value.problems[0].startswith(
        f"cannot clean, nothing was removed: {seeds / 'manifest.json'} is not valid JSON"
    )
    assert (seeds / "texts" / "stray.txt").exists() and (seeds / "texts" / "a.txt").exists()
