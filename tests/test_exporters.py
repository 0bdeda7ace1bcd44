import spacy
from fixtures import DOC
from spacy.tokens import Doc, DocBin

from frontline.core.scheme import load_scheme
from frontline.release.formats import brat_ann, export


def test_spacy_docbin_reads_back_with_entities_sentences_and_relations(tmp_path, repo):
    (path,) = export("spacy", tmp_path, {"test": [DOC]}, load_scheme(repo.scheme))
    if not Doc.has_extension("relations"):
        Doc.set_extension("relations", default=None)
    (doc,) = DocBin().from_disk(path).get_docs(spacy.blank("en").vocab)
    assert doc.text == DOC.text
    assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == [
        (e.start, e.end, e.label) for e in DOC.entities
    ]
    assert [s.text for s in doc.sents] == [
        "Iran backs Iraqi militias in Syria.",
        "Rebels took Aleppo.",
    ]
    assert list(doc._.relations) == [
        {"head": (0, 4), "tail": (11, 25), "label": "SUPPORTS"},
        {"head": (11, 25), "tail": (29, 34), "label": "LOCATED_IN"},
        {"head": (36, 42), "tail": (48, 54), "label": "CONTROLS"},
    ]


def test_brat_reads_back_with_pybrat(tmp_path, repo):
    from pybrat.parser import BratParser

    export("brat", tmp_path, {"test": [DOC]}, load_scheme(repo.scheme))
    assert (tmp_path / "test" / "annotation.conf").read_text().startswith("[entities]\nPER\n")
    (example,) = BratParser(error="raise").parse(str(tmp_path / "test"))
    assert example.text == DOC.text
    assert sorted((e.start, e.end, e.type, e.mention) for e in example.entities) == [
        (e.start, e.end, e.label, e.text) for e in DOC.entities
    ]
    assert sorted((r.type, r.arg1.mention, r.arg2.mention) for r in example.relations) == [
        ("CONTROLS", "Rebels", "Aleppo"),
        ("LOCATED_IN", "Iraqi militias", "Syria"),
        ("SUPPORTS", "Iran", "Iraqi militias"),
    ]


def test_brat_ann_lines():
    assert brat_ann(DOC).splitlines()[:2] == [
        "T1\tGPE 0 4\tIran",
        "T2\tGROUP 11 25\tIraqi militias",
    ]
    assert brat_ann(DOC).splitlines()[5] == "R1\tSUPPORTS Arg1:T1 Arg2:T2"


def test_conll_reads_back_with_spacys_converter(tmp_path, repo):
    from spacy.training.converters import conll_ner_to_docs

    (path,) = export("conll", tmp_path, {"test": [DOC]}, load_scheme(repo.scheme))
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[:4] == [
        "-DOCSTART- -X- -X- O",
        "",
        "Iran -X- _ B-GPE",
        "backs -X- _ O",
    ]
    (doc,) = conll_ner_to_docs(text, n_sents=10, no_print=True)
    assert [(e.text, e.label_) for e in doc.ents] == [(e.text, e.label) for e in DOC.entities]
