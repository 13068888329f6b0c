import pytest
import spacy

from chip_ner.money import find_money, make_money_matcher


def surfaces(text):
    return [text[s:e] for s, e in find_money(text)]


@pytest.mark.parametrize("text,expected", [
    ("向Anthropic投資12.5億美元", ["12.5億美元"]),
    ("金額高達5100萬美元,而", ["5100萬美元"]),
    ("成本每天在70 萬美元。", ["70 萬美元"]),
    ("成本約為 4 美分,如果", ["4 美分"]),
    ("完成了 1 亿美元 C 轮融资", ["1 亿美元"]),
    ("对领英罚款3.1亿欧元", ["3.1亿欧元"]),
    ("价值数十亿美元的平台", ["数十亿美元"]),
    ("价值數十億美元的平臺", ["數十億美元"]),
    ("投资二十多亿美元", ["二十多亿美元"]),
    ("融资三千万元", ["三千万元"]),
    ("人民币460亿元的订单", ["人民币460亿元"]),
    ("营收新台幣9899億元", ["新台幣9899億元"]),
    ("募集20億元人民幣", ["20億元人民幣"]),
    ("股价114.28元/股", ["114.28元"]),
    ("约合1.2万亿日元", ["1.2万亿日元"]),
    ("港元与欧元:50亿港元", ["50亿港元"]),
    ("售价$40,000起", ["$40,000"]),
    ("收购价3,000万美元", ["3,000万美元"]),
    # ranges and alternatives are one span
    ("估值 300 亿至 400 亿美元", ["300 亿至 400 亿美元"]),
    ("将升至 100 亿甚至 1000 亿美元", ["100 亿甚至 1000 亿美元"]),
    ("售价2.5万-4万美元", ["2.5万-4万美元"]),
    # approximators and comparison words stay outside
    ("花費逾30億美元。", ["30億美元"]),
    ("砸入近20亿美元", ["20亿美元"]),
    ("获得超10亿美元的投资", ["10亿美元"]),
    ("约合3.5亿美元左右", ["3.5亿美元"]),
    ("高达每天70万美元", ["70万美元"]),
])
def test_money_amounts(text, expected):
    assert surfaces(text) == expected


@pytest.mark.parametrize("text", [
    "每美元的性能提高2.7倍",          # 每美元 is not an amount
    "份额达到驚人的90%",              # percentage
    "其中 25%-50% 还将以分成的形式支付",
    "使用了高达8192块TPUv4芯片",      # chip count
    "1万-2万五千张A100",
    "使用了1万块英伟达GPU",
    "聚合帶寬超過400 Tb/s和100 petaOps的INT8性能",  # bandwidth, FLOPS
    "端侧AFM参数约30亿",              # parameter count
    "进行6.3万亿token训练",           # token count
    "二元论和多元化",                 # 元 that is not a currency
    "在 2023 年參與了 35 筆交易",
])
def test_not_money(text):
    assert surfaces(text) == []


def test_registered_matcher_is_the_same_function():
    assert make_money_matcher()("投资20亿美元") == [(2, 7)]


def test_component_adds_money_entities_and_keeps_existing_ones():
    nlp = spacy.blank("zh")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "COMPANY", "pattern": "亚马逊"}])
    nlp.add_pipe("chip_ner_money")
    doc = nlp("亚马逊投资40 亿美元。")
    assert [(e.text, e.label_) for e in doc.ents] == [("亚马逊", "COMPANY"), ("40 亿美元", "MONEY")]


def test_component_records_misaligned_matches_instead_of_dropping_them():
    nlp = spacy.blank("en")  # whitespace tokens: `x20亿美元` is one token
    nlp.add_pipe("chip_ner_money")
    doc = nlp("cost x20亿美元 total")
    assert list(doc.ents) == []
    assert doc.user_data["chip_ner_misaligned"] == [(6, 11, "MONEY")]


def test_authoritative_component_decides_money_after_the_ner():
    nlp = spacy.blank("zh")
    nlp.add_pipe("chip_ner_money", config={"authoritative": True})
    doc = nlp.make_doc("参数约30亿,投资40亿美元于英伟达")
    doc.ents = [doc.char_span(3, 6, label="MONEY"), doc.char_span(10, 13, label="COMPANY"),
                doc.char_span(15, 18, label="COMPANY")]  # a wrong MONEY, and a COMPANY overlapping the amount
    doc = nlp.get_pipe("chip_ner_money")(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [("40亿美元", "MONEY"), ("英伟达", "COMPANY")]
