"""chip_ner_tickers: a name written right before a numeric stock code is a COMPANY, and the
component never cuts or overlaps what other components found."""
import pytest

from chip_ner.pipeline.tickers import name_before
from conftest import blank_zh, through


@pytest.fixture(scope="module")
def nlp():
    return blank_zh("chip_ner_tickers")


@pytest.mark.parametrize("text,spans,expected", [
    # nothing found: the name from the cue before it (`的`, `龍頭`, `廠`, `股后`) or the punctuation
    ("台積電轉投資的創意（3443）動能則在加溫", [], [("創意", "COMPANY")]),
    ("台湾方面，载板龙头欣兴（3037）", [], [("欣兴", "COMPANY")]),
    ("无尘室整合厂帆宣（6196）", [], [("帆宣", "COMPANY")]),
    ("ASIC股后世芯-KY（3661）", [], [("世芯-KY", "COMPANY")]),
    ("优必选（9880.HK）2025年", [], [("优必选", "COMPANY")]),
    ("上纬新材（688585.SH）", [], [("上纬新材", "COMPANY")]),
    ("联电 (2303) 涨2.55%", [], [("联电", "COMPANY")]),
    # a cue character that leaves one character is the name's own first character
    ("和碩（4938）", [], [("和碩", "COMPANY")]),
    ("与和碩（4938）", [], [("和碩", "COMPANY")]),
    # a long run with no cue is left alone, so is a code with nothing before it
    ("股價首度超車台積電（2330）", [], []),
    ("（2330）", [], []),
    # a legal name in brackets stops at `公司`: the name is not `公司`
    ("晶晨半导体（上海）股份有限公司（688099）", [], []),
    # an entity that ends right before the code: PERSON and CHIP become COMPANY, COMPANY stays
    ("概倫電子（688206）", [("概倫電子", "PERSON")], [("概倫電子", "COMPANY")]),
    ("臻鼎-KY（4958）", [("臻鼎-KY", "CHIP")], [("臻鼎-KY", "COMPANY")]),
    ("鸿海（2317）", [("鸿海", "COMPANY")], [("鸿海", "COMPANY")]),
    # a COMPANY a few characters short of the code is extended to it
    ("無塵室工程廠宏築潔淨工程（6981）", [("宏築潔淨", "COMPANY")], [("宏築潔淨工程", "COMPANY")]),
    # ... but not across a cue, and a found entity is never cut: the name starts after it
    ("英伟达的欣兴（3037）", [("英伟达", "COMPANY")], [("英伟达", "COMPANY"), ("欣兴", "COMPANY")]),
    ("黄仁勋欣兴（3037）", [("黄仁勋", "PERSON")], [("黄仁勋", "PERSON"), ("欣兴", "COMPANY")]),
    # an entity that runs into the code is not this component's to cut
    ("家登（3680）", [("登（3680", "PERSON")], [("登（3680", "PERSON")]),
    # Latin codes look like the abbreviations after terms: left alone
    ("高頻寬記憶體（HBM）與恩智浦（NXP）", [], []),
    # a year or an amount in brackets is not a code
    ("营收（2025年）", [], []),
    ("亏损（1.2亿元）", [], []),
])
def test_a_name_before_a_numeric_code_is_a_company(nlp, text, spans, expected):
    doc = through(nlp, "chip_ner_tickers", text, spans)
    assert [(e.text, e.label_) for e in doc.ents] == expected


def test_every_change_is_recorded(nlp):
    doc = through(nlp, "chip_ner_tickers", "概倫電子（688206）與創意（3443）", [("概倫電子", "PERSON")])
    assert doc.user_data["chip_ner_tickers"] == [(0, 4, "PERSON", "COMPANY"), (13, 15, None, "COMPANY")]
    assert "chip_ner_tickers" not in through(nlp, "chip_ner_tickers", "鸿海（2317）", [("鸿海", "COMPANY")]).user_data


@pytest.mark.parametrize("text,end,floor,expected", [
    ("的創意", 3, 0, 1),
    ("龍頭聯發科", 5, 0, 2),
    ("公司", 2, 0, None),
    ("英伟达欣兴", 5, 3, 3),
    ("甲乙丙丁戊己庚", 7, 0, None),  # seven characters and no cue
    ("甲乙丙丁戊己", 6, 0, 0),
])
def test_name_before(text, end, floor, expected):
    assert name_before(text, end, floor) == expected
