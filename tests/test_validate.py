import pytest
from conftest import ROOT, read_records, write_records

from chip_ner.corpus.validate import consistency, validate
from chip_ner.errors import ChipNerError
from chip_ner.records import load_gold


def corrupt(small, index, **changes):
    records = read_records(small / "gold.jsonl")
    records[index].update(changes)
    write_records(small / "gold.jsonl", records)


def test_small_gold_is_valid(small):
    report = validate(small / "gold.jsonl", small / "paragraphs.jsonl")
    assert report.records == 3
    assert report.per_label == {"COMPANY": 4, "CHIP": 3, "MONEY": 1, "PERSON": 1}


@pytest.mark.parametrize("index,changes,expected", [
    (0, {"label": [[0, 3, "ORG"]]}, "unknown label 'ORG'"),
    (0, {"label": [[10, 40, "MONEY"]]}, "out of range for text of length 19"),
    (0, {"label": [[5, 3, "CHIP"]]}, "out of range"),
    (0, {"label": [[0, 3, "COMPANY"], [2, 7, "CHIP"]]}, "overlapping spans '英伟达' (COMPANY) and '达H100' (CHIP)"),
    (1, {"label": [[5, 9, "COMPANY"]]}, "',英伟达' starts or ends with whitespace, punctuation or a format character"),
    (0, {"label": [[12, 19, "MONEY"]]}, "starts or ends with whitespace, punctuation or a format character"),
    (0, {"label": [[0, 3]]}, "is not [start, end, label]"),
    (0, {"text": "英伟达H200芯片售价约2.5万美元。"}, "text differs from the cleaned paragraph"),
    (0, {"meta": {"id": "999-p000"}}, "meta.id '999-p000' is not a cleaned paragraph id"),
    (1, {"meta": {"id": "900-p000"}, "text": "英伟达H100芯片售价约2.5万美元。", "label": []},
     "900-p000 already annotated on line 1"),
    (0, {"label": "COMPANY"}, "record needs a string `text` and a list `label`"),
])
def test_each_check_fails_with_file_line_and_reason(small, index, changes, expected):
    corrupt(small, index, **changes)
    with pytest.raises(ChipNerError) as err:
        validate(small / "gold.jsonl", small / "paragraphs.jsonl")
    message = str(err.value)
    assert expected in message
    assert f"gold.jsonl:{index + 1}" in message


def test_offset_is_reported(small):
    corrupt(small, 0, label=[[0, 3, "COMPANY"], [2, 7, "CHIP"]])
    with pytest.raises(ChipNerError) as err:
        validate(small / "gold.jsonl", small / "paragraphs.jsonl")
    assert "(offset 2)" in str(err.value)


def test_line_that_is_not_json_is_named(small):
    path = small / "gold.jsonl"
    path.write_text(path.read_text(encoding="utf-8") + '{"text": "oops"\n', encoding="utf-8")
    with pytest.raises(ChipNerError) as err:
        validate(path, small / "paragraphs.jsonl")
    assert "gold.jsonl:4" in str(err.value) and "not valid JSON" in str(err.value)


def test_missing_paragraph_fails(small):
    records = read_records(small / "gold.jsonl")
    write_records(small / "gold.jsonl", records[:2])
    with pytest.raises(ChipNerError, match="1 cleaned paragraphs have no gold record: 901-p000"):
        validate(small / "gold.jsonl", small / "paragraphs.jsonl")


@pytest.mark.parametrize("labels,entry", [
    ([[0, 3, "PERSON"], [12, 21, "CHIP"]], ("unlabelled", "英伟达")),  # 英伟达 left out here
    ([[0, 3, "PERSON"], [6, 9, "PERSON"], [12, 21, "CHIP"]], ("label_conflict", "英伟达")),
])
def test_inconsistencies_are_listed_and_fail(small, labels, entry):
    records = read_records(small / "gold.jsonl")
    records[1]["label"] = labels
    write_records(small / "gold.jsonl", records)
    entries = consistency(load_gold(small / "gold.jsonl", small / "paragraphs.jsonl"))
    assert entry in {(e.kind, e.text) for e in entries}
    with pytest.raises(ChipNerError, match="unexplained consistency entries"):
        validate(small / "gold.jsonl", small / "paragraphs.jsonl")


def test_allowlist_explains_an_exception(small):
    records = read_records(small / "gold.jsonl")
    records[1]["label"] = [[0, 3, "PERSON"], [12, 21, "CHIP"]]
    write_records(small / "gold.jsonl", records)
    allow = small / "allow.jsonl"
    write_records(allow, [{"kind": "unlabelled", "text": "英伟达", "ids": ["900-p001"], "reason": "test"}])
    report = validate(small / "gold.jsonl", small / "paragraphs.jsonl", allowlist_path=allow)
    assert len(report.explained) == 1 and not report.unexplained


def test_latin_substring_is_not_an_unlabelled_occurrence(small):
    records = read_records(small / "gold.jsonl")
    text = records[2]["text"]
    records[2]["label"].append([text.index("Apple"), text.index("Apple") + 5, "COMPANY"])
    write_records(small / "gold.jsonl", records)
    paragraphs = read_records(small / "paragraphs.jsonl")
    paragraphs[0]["text"] = "英伟达H100芯片售价约2.5万美元。Applesauce"
    write_records(small / "paragraphs.jsonl", paragraphs)
    records[0]["text"] = paragraphs[0]["text"]
    write_records(small / "gold.jsonl", records)
    kinds = {(e.kind, e.text) for e in consistency(load_gold(small / "gold.jsonl", small / "paragraphs.jsonl"))}
    assert ("unlabelled", "Apple") not in kinds


def test_project_gold_is_valid(tmp_path):
    """The committed gold must validate against freshly cleaned seeds and written articles."""
    from chip_ner.corpus.clean import clean

    clean(ROOT / "seeds", tmp_path / "paragraphs.jsonl", boilerplate=ROOT / "configs/boilerplate.jsonl",
          written_dir=ROOT / "written")
    report = validate(ROOT / "corpus/annotations/gold.jsonl", tmp_path / "paragraphs.jsonl",
                      allowlist_path=ROOT / "corpus/annotations/allowlist.jsonl")
    assert report.records == len(read_records(tmp_path / "paragraphs.jsonl"))
    assert set(report.per_label) == {"CHIP", "COMPANY", "MONEY", "PERSON"}
    assert sum(report.per_label.values()) > 2500
    assert report.stale_allowlist == []


@pytest.mark.parametrize("index,changes,expected", [
    (0, {"meta": {"id": ["900-p000"]}}, "meta.id must be a string, found array"),
    (0, {"text": 42}, "record needs a string `text`"),
    (0, {"label": [[True, 3, "COMPANY"]]}, "span [True, 3, 'COMPANY'] is not [start, end, label]"),
    (0, {"label": [[0, 3.0, "COMPANY"]]}, "is not [start, end, label]"),
])
def test_wrong_typed_fields_are_located_errors(small, index, changes, expected):
    corrupt(small, index, **changes)
    with pytest.raises(ChipNerError) as err:
        validate(small / "gold.jsonl", small / "paragraphs.jsonl")
    assert f"gold.jsonl:{index + 1}" in str(err.value) and expected in str(err.value)


@pytest.mark.parametrize("changes,expected", [
    ({"id": ["900-p000"]}, "`id` (found array)"),
    ({"text": 7}, "`text` (found number)"),
    ({"article": True}, "`article` (found boolean)"),
])
def test_wrong_typed_paragraph_fields_are_located_errors(small, changes, expected):
    records = read_records(small / "paragraphs.jsonl")
    records[1].update(changes)
    write_records(small / "paragraphs.jsonl", records)
    with pytest.raises(ChipNerError) as err:
        validate(small / "gold.jsonl", small / "paragraphs.jsonl")
    assert "paragraphs.jsonl:2: must be strings: " + expected in str(err.value)


def test_empty_gold_is_an_error(small):
    (small / "gold.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(ChipNerError, match="No records in") as err:
        load_gold(small / "gold.jsonl", small / "paragraphs.jsonl", require_all=False)
    assert "gold.jsonl:1: the file is empty" in str(err.value)


def test_consistency_scan_finds_what_the_regex_scan_found():
    """The indexed scan lists what one `re.finditer` per surface and record listed, in the same
    order (surface first seen, then offset): repeats do not overlap (`达达` in `达达达` once),
    a Latin name inside a longer word (`H100H100`) is no occurrence."""
    from chip_ner.records import GoldRecord

    texts = [("a-p0", "英伟达H100发布，谷歌TPU", [(0, 3, "COMPANY"), (3, 7, "CHIP"), (10, 12, "COMPANY")]),
             ("a-p1", "H100H100H100和英伟达达", [(0, 4, "CHIP")]),
             ("b-p0", "谷歌TPUX与英伟达", [(0, 2, "PERSON")]),
             ("b-p1", "达达，达达达", [(0, 2, "COMPANY")])]
    records = [GoldRecord(i, pid, pid[0], text, spans, {}) for i, (pid, text, spans) in enumerate(texts)]
    entries = [(e.kind, e.text, e.where) for e in consistency(records)]
    assert entries == [("label_conflict", "谷歌", ["a-p0", "b-p0"]),
                       ("unlabelled", "英伟达", ["a-p1@13"]), ("unlabelled", "达达", ["a-p1@15"]),
                       ("unlabelled", "英伟达", ["b-p0@7"]), ("unlabelled", "达达", ["b-p1@3"])]
