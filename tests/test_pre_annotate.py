import json

import pytest
from conftest import DATA, ROOT

from chip_ner.corpus.pre_annotate import build_pre_annotator, pre_annotate
from chip_ner.errors import ChipNerError
from chip_ner.records import load_patterns


@pytest.fixture(scope="module")
def nlp():
    return build_pre_annotator(ROOT / "configs/patterns.jsonl")


def ents(nlp, text):
    return [(e.text, e.label_) for e in nlp(text).ents]


@pytest.mark.parametrize("text,expected", [
    ("英伟达H100和A100", [("英伟达", "COMPANY"), ("H100", "CHIP"), ("A100", "CHIP")]),
    ("谷歌Cloud TPU v5e芯片", [("谷歌", "COMPANY"), ("Cloud TPU v5e", "CHIP")]),
    ("微軟Azure Maia 100", [("微軟", "COMPANY"), ("Azure Maia 100", "CHIP")]),
    ("黄仁勋说Blackwell需求旺盛,投资40亿美元", [("黄仁勋", "PERSON"), ("Blackwell", "CHIP"), ("40亿美元", "MONEY")]),
    ("輝達與台積電", [("輝達", "COMPANY"), ("台積電", "COMPANY")]),
])
def test_suggestions(nlp, text, expected):
    assert ents(nlp, text) == expected


@pytest.mark.parametrize("text", ["Metaverse的未来", "AMDX和TPUX", "LGBT"])
def test_no_match_inside_latin_words(nlp, text):
    assert ents(nlp, text) == []


def test_pre_annotate_writes_doccano_jsonl(tmp_path):
    out = tmp_path / "suggestions.jsonl"
    report = pre_annotate(DATA / "paragraphs.jsonl", ROOT / "configs/patterns.jsonl", out)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["meta"]["id"] for r in records] == ["900-p000", "900-p001", "901-p000"]
    first = records[0]
    assert [first["text"][s:e] for s, e, _ in first["label"]] == ["英伟达", "H100", "2.5万美元"]
    assert report.per_label["MONEY"] == 1 and report.paragraphs == 3


@pytest.mark.parametrize("line,reason", [
    ('{"label": "ORG", "pattern": "x"}', "unknown label 'ORG'"),
    ('{"label": "CHIP", "pattern": ""}', "non-empty string"),
    ('{"label": "CHIP", "pattern": "H100"', "not valid JSON"),
])
def test_bad_pattern_line_is_named(tmp_path, line, reason):
    path = tmp_path / "patterns.jsonl"
    path.write_text('{"label": "CHIP", "pattern": "H100"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(ChipNerError) as err:
        load_patterns(path)
    assert "patterns.jsonl:2" in str(err.value) and reason in str(err.value)


def test_project_patterns_load_and_are_unique():
    patterns = load_patterns(ROOT / "configs/patterns.jsonl")
    keys = [(p["label"], p["pattern"]) for p in patterns]
    assert len(keys) == len(set(keys))
    surfaces = [p["pattern"] for p in patterns]
    assert len(surfaces) == len(set(surfaces)), "a surface form must not carry two labels"


def test_empty_paragraphs_fail_and_keep_the_old_output(tmp_path):
    paragraphs = tmp_path / "paragraphs.jsonl"
    paragraphs.write_text("", encoding="utf-8")
    out = tmp_path / "suggestions.jsonl"
    out.write_text('{"old": 1}\n', encoding="utf-8")
    with pytest.raises(ChipNerError) as err:
        pre_annotate(paragraphs, ROOT / "configs/patterns.jsonl", out)
    assert "paragraphs.jsonl:1: the file is empty" in str(err.value)
    assert out.read_text(encoding="utf-8") == '{"old": 1}\n'


def test_lone_surrogate_is_located_not_a_traceback(tmp_path):
    paragraphs = tmp_path / "paragraphs.jsonl"
    paragraphs.write_text('{"id": "900-p000", "article": "900", "text": "英伟达\\ud800"}\n', encoding="utf-8")
    out = tmp_path / "suggestions.jsonl"
    with pytest.raises(ChipNerError) as err:
        pre_annotate(paragraphs, ROOT / "configs/patterns.jsonl", out)
    assert "paragraphs.jsonl:1 (offset 49): lone surrogate" in str(err.value)
    assert not out.exists()
