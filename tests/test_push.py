import pytest
from conftest import DATA, read_records

from chip_ner.annotation.doccano_api import codepoint_offset, utf16_offset
from chip_ner.annotation.push import disagreement, order_uncertain, push, select
from chip_ner.errors import ChipNerError


@pytest.mark.parametrize("text,offset,units", [
    ("苹果", 1, 1), ("🍎 苹果", 2, 3), ("🍎🤖苹果", 3, 5), ("abc", 3, 3),
])
def test_utf16_round_trip(text, offset, units):
    assert utf16_offset(text, offset) == units
    assert codepoint_offset(text, units) == offset


@pytest.mark.parametrize("text,units", [("🍎苹果", 1), ("abc", 9)])
def test_offsets_inside_a_surrogate_pair_or_beyond_the_text_are_refused(text, units):
    assert codepoint_offset(text, units) is None


def test_disagreement():
    assert disagreement([(0, 2, "COMPANY")], [(0, 2, "COMPANY")]) == 0
    assert disagreement([(0, 2, "COMPANY")], [(0, 2, "PERSON")]) == 1
    assert disagreement([], []) == 0
    assert disagreement([(0, 2, "COMPANY"), (3, 5, "CHIP")], [(0, 2, "COMPANY")]) == 0.5


def test_uncertain_order_puts_disagreement_first():
    model = {"a": [(0, 1, "CHIP")], "b": [(0, 1, "CHIP")], "c": []}
    patterns = {"a": [(0, 1, "CHIP")], "b": [(0, 1, "COMPANY")], "c": [(2, 3, "MONEY"), (5, 6, "CHIP")]}
    assert order_uncertain(["a", "b", "c"], model, patterns) == ["b", "c", "a"]


def test_select_by_article_and_id():
    paragraphs = {r["id"]: r for r in read_records(DATA / "paragraphs.jsonl")}
    assert select(paragraphs, "901", None) == ["901-p000"]
    assert select(paragraphs, None, "900-p001,901-p000") == ["900-p001", "901-p000"]
    with pytest.raises(ChipNerError, match="999-p000"):
        select(paragraphs, None, "999-p000")


@pytest.mark.parametrize("kwargs,message", [
    ({"source": "model"}, "needs --model"),
    ({"order": "uncertain"}, "needs --model"),
    ({"source": "bogus"}, "Unknown suggestion source"),
])
def test_push_refuses_bad_options_before_contacting_the_server(tmp_path, kwargs, message):
    with pytest.raises(ChipNerError, match=message):
        push(None, "p", DATA / "paragraphs.jsonl", tmp_path / "base.jsonl", **kwargs)
    assert not (tmp_path / "base.jsonl").exists()
