import pytest
from fixtures import DOC, TEXT

from frontline.core.scheme import load_scheme
from frontline.studio.sheets import SheetError, document_sheet, read_sheet, sheet_document

SHEET = """doc: tiny
# a comment
S0: [[Iran]]GPE backs [[Iraqi militias]]GROUP in [[Syria]]GPE.
R0: SUPPORTS Iran -> Iraqi militias
R0: LOCATED_IN Iraqi militias -> Syria
S1: [[Rebels]]GROUP took [[Aleppo]]GPE.
R1: CONTROLS Rebels -> Aleppo
"""


@pytest.fixture(scope="module")
def scheme(repo):
    return load_scheme(repo.scheme)


def write(tmp_path, body):
    path = tmp_path / "tiny.sheet"
    path.write_text(body, encoding="utf-8")
    return path


def test_sheet_gives_the_document(tmp_path, scheme):
    doc = sheet_document(read_sheet(write(tmp_path, SHEET)), TEXT, scheme)
    assert [(e.start, e.end, e.label, e.text) for e in doc.entities] == [
        (e.start, e.end, e.label, e.text) for e in DOC.entities
    ]
    assert [e.id for e in doc.entities] == ["e001", "e002", "e003", "e004", "e005"]
    assert doc.relations == DOC.relations


def test_second_mention_with_the_same_text(tmp_path, scheme):
    text = "Assad met Iran and Assad left."
    body = (
        "doc: x\nS0: [[Assad]]PER met [[Iran]]GPE and [[Assad]]PER left.\n"
        "R0: MEETS Assad#2 -> Iran\n"
    )
    doc = sheet_document(read_sheet(write(tmp_path, body)), text, scheme)
    (rel,) = doc.relations
    assert (doc.entities[rel.head].start, doc.entities[rel.tail].text) == (19, "Iran")


def test_every_mismatch_is_named_with_its_line(tmp_path, scheme):
    body = (
        SHEET.replace("[[Syria]]GPE.", "[[Syria]]COUNTRY!").replace("-> Aleppo", "-> Alepo")
        + "S5: x\nQ: ?\n"
    )
    with pytest.raises(SheetError) as err:
        read_sheet(write(tmp_path, body))
    assert err.value.problems == [
        f"{tmp_path / 'tiny.sheet'}: line 9: expected 'doc:', 'S<n>:' or 'R<n>:'"
    ]
    body = body.replace("Q: ?\n", "")
    with pytest.raises(SheetError) as err:
        sheet_document(read_sheet(write(tmp_path, body)), TEXT, scheme, "tiny.sheet")
    assert err.value.problems == [
        "tiny.sheet: line 3: unknown entity label 'COUNTRY'",
        "tiny.sheet: line 3: without markup the line is not the sentence:\n"
        "    sheet:    'Iran backs Iraqi militias in Syria!'\n"
        "    sentence: 'Iran backs Iraqi militias in Syria.'",
        "tiny.sheet: line 8: the article has 2 sentences, no S5",
        "tiny.sheet: line 7: no mention 'Alepo' in S1",
    ]


def test_committed_sheets_fit_their_articles(repo, scheme):
    from frontline.core.articles import load_articles

    texts = {a.id: a.text for a in load_articles(repo.seeds)}
    folders = ("sheets", "sheets-blind", "sheets-adjudicated")
    sheets = sorted(p for f in folders for p in (repo.annotation / f).glob("*.sheet"))
    assert len(sheets) == 86 + 22 + 22
    for path in sheets:
        sheet = read_sheet(path)
        assert sheet_document(sheet, texts[sheet.doc_id], scheme, str(path)).entities


def test_mention_inside_literal_brackets(tmp_path, scheme):
    text = 'He said "my daughter [Theodora] died".'
    body = 'doc: x\nS0: He said "my daughter [[[Theodora]]PER] died".\n'
    (ent,) = sheet_document(read_sheet(write(tmp_path, body)), text, scheme).entities
    assert (ent.start, ent.end, ent.text) == (22, 30, "Theodora")


def test_a_document_written_as_a_sheet_reads_back_the_same(tmp_path, scheme):
    written = document_sheet(DOC, header="the gold")
    assert written == SHEET.replace("doc: tiny\n# a comment\n", "# the gold\ndoc: tiny\n")
    back = sheet_document(read_sheet(write(tmp_path, written)), TEXT, scheme)
    assert [(e.start, e.end, e.label) for e in back.entities] == [
        (e.start, e.end, e.label) for e in DOC.entities
    ]
    assert back.relations == DOC.relations


def test_the_second_mention_with_a_text_is_named_with_its_number(tmp_path, scheme):
    from frontline.core.documents import Document, Entity, Relation

    text = "Assad met Iran and Assad left."
    ents = (Entity(0, 5, "PER", "Assad", "a"), Entity(10, 14, "GPE", "Iran", "b"))
    ents += (Entity(19, 24, "PER", "Assad", "c"),)
    doc = Document("x", text, ents, (Relation(2, 1, "MEETS"),))
    assert document_sheet(doc).splitlines()[-1] == "R0: MEETS Assad#2 -> Iran"
