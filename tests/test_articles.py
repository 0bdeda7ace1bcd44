import json
from pathlib import Path

import pytest

from frontline.articles import (
    ArticleError, add_articles, load_articles, make_article, read_jsonl, read_plain, sha256_text)

META = dict(title="Rebels take town", date="2024-12-01", url="https://example.org/a",
            license="CC BY 4.0", attribution="Example", source="", topic="")


def art(id: str = "a1", text: str = "Rebels took Aleppo.", **kw: str):
    return make_article(text, **{**META, "id": id, **kw})


def test_sha256_of_utf8_bytes():
    # printf 'Aleppo' | sha256sum
    assert sha256_text("Aleppo") == "4a753c0109794e63f8a63ecf35bbdd0a6d2200920b42c53975aa36622dd597e3"


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


def test_failed_write_leaves_no_half_written_files(tmp_path, monkeypatch):
    import frontline.articles as mod
    real = mod.atomic_write

    def fail_on_manifest(path: Path, data: bytes) -> None:
        if path.name == "manifest.json":
            raise OSError("disk full")
        real(path, data)

    monkeypatch.setattr(mod, "atomic_write", fail_on_manifest)
    with pytest.raises(OSError, match="disk full"):
        add_articles(tmp_path, [art("a"), art("b", "Second.")])
    assert list((tmp_path / "texts").iterdir()) == []
    assert not (tmp_path / "manifest.json").exists()


@pytest.mark.parametrize("kw, message", [
    ({"text": "  \n"}, "article 'a1': text is empty"),
    ({"date": "1 Dec 2024"}, "article 'a1': date '1 Dec 2024' is not YYYY-MM-DD"),
    ({"id": "bad id"}, "article 'bad id': id must match"),
    ({"title": ""}, "article 'a1': title is empty"),
    ({"url": "", "source": ""}, "article 'a1': needs a url or a source"),
])
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
        "texts/stray.txt is not listed in manifest.json",
    ]


def test_check_names_non_utf8_text(seeds):
    (seeds / "texts" / "a.txt").write_bytes(b"Rebels \xff took Aleppo.")
    with pytest.raises(ArticleError, match=r"article 'a': .*a.txt is not UTF-8 \(invalid start byte at byte 7\)"):
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
    record = {**META, "id": "w1", "text": "Troops moved.", "source_corpus": "AMALGUM",
              "source_repo": "o/r", "source_commit": "abc", "source_path": "p.conllu", "n_words": 2}
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
    path.write_bytes("Kurds fled.".encode())
    article = read_plain(path, **META)
    assert (article.id, article.text, article.sha256) == ("report-7", "Kurds fled.", sha256_text("Kurds fled."))


def test_real_seeds_are_valid(repo):
    articles = load_articles(repo.seeds)
    assert len(articles) == 55
    assert articles[0].id == "000_2deeeecf94034bb2"
    assert articles[0].sha256 == "4e95009de1b24a95a9f6b8f4aa8042d6d3a75278399620ba950bc4145546afbe"
    assert articles[0].license == "not stated"
    assert sum(a.license == "CC BY 2.5" for a in articles) == 51
    assert sum(a.license == "public domain" for a in articles) == 3


def test_one_scan_finds_every_character_the_text_checks_report():
    """``text_problems`` skips its three character checks when ``_SUSPECT`` finds nothing:
    it must match every character any of them matches."""
    from frontline.articles import _LONE_CR, _SURROGATE, _SUSPECT, _TEXT_CONTROL

    reported = [c for c in map(chr, range(0x110000))
                if _SURROGATE.search(c) or _TEXT_CONTROL.search(c) or _LONE_CR.search(c)]
    assert len(reported) == 2048 + 29 + 33 + 1  # surrogates, C0 but TAB/LF/CR, DEL + C1, CR
    assert all(_SUSPECT.search(c) for c in reported)
