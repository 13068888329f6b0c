"""MSRA sentences as training examples: PERSON taught, ORG and money left unknown, the rest O."""

from chip_ner.config_code.msra_corpus import create_with_msra, msra_example
from chip_ner.io import write_jsonl
from conftest import blank_zh

NLP = blank_zh()
RECORD = {"text": "新华社记者李鹏说投资5亿元", "label": [[0, 3, "ORG"], [5, 7, "PERSON"]]}


def test_person_is_taught_org_and_money_are_missing_and_the_rest_is_outside():
    reference = msra_example(NLP, RECORD).reference
    assert [(e.text, e.label_) for e in reference.ents] == [("李鹏", "PERSON")]
    assert [t.ent_iob_ for t in reference[:3]] == ["", "", ""]  # 新华社: unknown (missing), not O
    assert [t.ent_iob_ for t in reference[3:5]] == ["O", "O"]  # 记者
    money = reference.char_span(10, 13, alignment_mode="expand")
    assert all(t.ent_iob_ == "" for t in money)  # 5亿元: unknown in MSRA text


def test_the_reader_adds_only_sentences_that_name_a_person(tmp_path):
    from spacy.tokens import DocBin

    domain = tmp_path / "train.spacy"
    doc = NLP("英伟达")
    doc.ents = [doc.char_span(0, 3, label="COMPANY")]
    DocBin(docs=[doc]).to_disk(domain)
    msra = tmp_path / "msra.jsonl"
    write_jsonl(msra, [RECORD, {"text": "今天下雨", "label": []}])
    examples = list(create_with_msra(str(domain), str(msra), limit=5)(NLP))
    assert [e.reference.text for e in examples] == ["英伟达", RECORD["text"]]


def test_overlapping_unknown_spans_are_joined_not_an_error():
    """An ORG that holds an amount: both unknown, as one stretch (spaCy refuses overlapping spans)."""
    record = {"text": "华夏5亿元基金会成立李鹏", "label": [[0, 8, "ORG"], [10, 12, "PERSON"]]}
    reference = msra_example(NLP, record).reference
    assert [t.ent_iob_ for t in reference[:8]] == [""] * 8 and reference[8].ent_iob_ == "O"
    assert [(e.text, e.label_) for e in reference.ents] == [("李鹏", "PERSON")]
