import pytest
from conftest import DATA, read_records

from chip_ner.corpus.markup import from_markup, read_markup, to_markup
from chip_ner.errors import ChipNerError

PARAGRAPHS = {r["id"]: r for r in read_records(DATA / "paragraphs.jsonl")}


@pytest.mark.parametrize("text,spans", [
    ("英伟达H100芯片", [[0, 3, "COMPANY"], [3, 7, "CHIP"]]),
    ("🍎 苹果使用谷歌TPU", [[2, 4, "COMPANY"], [6, 8, "COMPANY"], [8, 11, "CHIP"]]),
    ("文|自象限  周游", [[2, 5, "COMPANY"], [7, 9, "PERSON"]]),
    ("没有实体", []),
])
def test_round_trip(text, spans):
    marked = to_markup(text, spans)
    assert from_markup(marked) == (text, spans)


def test_read_markup_accepts_exact_text(tmp_path):
    path = tmp_path / "m.txt"
    path.write_text("900-p001\t[[黄仁勋|PERSON]]表示,[[英伟达|COMPANY]]将推出[[Blackwell|CHIP]]。\n", encoding="utf-8")
    assert read_markup(path, PARAGRAPHS) == {"900-p001": [[0, 3, "PERSON"], [6, 9, "COMPANY"], [12, 21, "CHIP"]]}


@pytest.mark.parametrize("line,reason", [
    ("900-p001\t[[黄仁勋|PERSON]]表示,英伟达将推出Blackwell", "text differs from the cleaned paragraph"),
    ("900-p001 黄仁勋表示,英伟达将推出Blackwell。", "expected `id<TAB>marked text`"),
    ("999-p000\t黄仁勋", "unknown paragraph id"),
    ("900-p001\t[[黄仁勋|ORG]]表示,英伟达将推出Blackwell。", "unbalanced [[ ]] or unknown label"),
])
def test_read_markup_refuses_bad_lines(tmp_path, line, reason):
    path = tmp_path / "m.txt"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ChipNerError) as err:
        read_markup(path, PARAGRAPHS)
    assert reason in str(err.value) and "m.txt:1" in str(err.value)
