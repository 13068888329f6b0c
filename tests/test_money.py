from pathlib import Path

import pytest
import spacy
from spacy.util import load_config
from thinc.api import ConfigValidationError

from chip_ner.pipeline.money import (
    CURRENCIES,
    MODES,
    find_money,
    is_symbol,
    make_money_matcher,
    money_value,
)

ROOT = Path(__file__).resolve().parent.parent


def surfaces(text):
    return [text[s:e] for s, e in find_money(text)]


@pytest.mark.parametrize("text,expected", [
    ("營收新台幣1兆2,345億元，創新高", ["新台幣1兆2,345億元"]),
    ("达新台币2兆6,000亿元，人民币3亿5000万元", ["新台币2兆6,000亿元", "人民币3亿5000万元"]),
    ("投资１２億美元", ["１２億美元"]),
    ("营收12，345億元", ["12，345億元"]),
    ("市值突破3兆美元", ["3兆美元"]),
    ("仅$9 ，不含税", ["$9"]),  # a space never ends the span
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
    # currencies beyond the first table (132-p003, 132-p011, 118-p016, 122-p018, 132-p017)
    ("總投資逾1.25兆盧比（約新台幣4,800億元）", ["1.25兆盧比", "新台幣4,800億元"]),
    ("已吸引逾630億令吉投資", ["630億令吉"]),
    ("首期授權金約30億韓圜", ["30億韓圜"]),
    ("完成3.2億瑞士法郎融資", ["3.2億瑞士法郎"]),
    ("完成1億2,000萬新加坡元C輪募資", ["1億2,000萬新加坡元"]),
    ("募得S$1.2億", ["S$1.2億"]),
    # a last part without its magnitude (85萬4000 = 854,000), also in a range
    ("最高來到85萬4000韓圜。", ["85萬4000韓圜"]),
    ("价值约1萬8,000至2萬1,000美元。", ["1萬8,000至2萬1,000美元"]),
    # amounts in a list sharing the currency after the last are one span (J42)
    ("分别募得1.22亿、4.08亿和24.1亿港元。", ["1.22亿、4.08亿和24.1亿港元"]),
    ("股價64.99元、85.96元與104.3元", ["64.99元", "85.96元", "104.3元"]),
    # a threshold with no number (J33)
    ("合併營收首度站上兆元關卡，達到新台幣1.8兆元", ["兆元", "新台幣1.8兆元"]),
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
    "第3、4季出货2,000万颗",          # a list with no currency
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
    nlp.add_pipe("chip_ner_money", config={"mode": "authoritative"})
    doc = nlp.make_doc("参数约30亿,投资40亿美元于英伟达")
    doc.ents = [doc.char_span(3, 6, label="MONEY"), doc.char_span(10, 13, label="COMPANY"),
                doc.char_span(15, 18, label="COMPANY")]  # a wrong MONEY, and a COMPANY overlapping the amount
    doc = nlp.get_pipe("chip_ner_money")(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [("40亿美元", "MONEY"), ("英伟达", "COMPANY")]


def with_ents(nlp, text, ents):
    doc = nlp.make_doc(text)
    doc.ents = [doc.char_span(text.index(surface), text.index(surface) + len(surface), label=label)
                for surface, label in ents]
    return doc


@pytest.mark.parametrize("preset,mode,expected", [
    # an existing entity as long as the match: existing wins in `add` only
    ("20亿美元", "add", [("30亿", "MONEY"), ("20亿美元", "COMPANY")]),
    ("20亿美元", "overwrite", [("30亿", "MONEY"), ("20亿美元", "MONEY")]),
    ("20亿美元", "authoritative", [("20亿美元", "MONEY")]),
    # a longer existing entity: it wins unless the matcher is authoritative
    ("资20亿美元", "add", [("30亿", "MONEY"), ("资20亿美元", "COMPANY")]),
    ("资20亿美元", "overwrite", [("30亿", "MONEY"), ("资20亿美元", "COMPANY")]),
    ("资20亿美元", "authoritative", [("20亿美元", "MONEY")]),
])
def test_modes_decide_overlaps_and_stray_money(preset, mode, expected):
    nlp = spacy.blank("zh")
    component = nlp.add_pipe("chip_ner_money", config={"mode": mode})
    doc = with_ents(nlp, "参数30亿,投资20亿美元", [("30亿", "MONEY"), (preset, "COMPANY")])  # 30亿: not money
    assert [(e.text, e.label_) for e in component(doc).ents] == expected


def test_default_mode_is_add():
    nlp = spacy.blank("zh")
    nlp.add_pipe("chip_ner_money")
    assert nlp.config["components"]["chip_ner_money"]["mode"] == "add" == nlp.get_pipe("chip_ner_money").mode


@pytest.mark.parametrize("config", [{"mode": "replace"}, {"mode": "Add"}])
def test_unknown_mode_is_named_with_the_allowed_ones(config):
    with pytest.raises(ValueError, match="unknown mode .*'add', 'overwrite', 'authoritative'"):
        spacy.blank("zh").add_pipe("chip_ner_money", config=config)


def test_old_flags_are_gone():
    with pytest.raises(ConfigValidationError, match="authoritative"):
        spacy.blank("zh").add_pipe("chip_ner_money", config={"authoritative": True})


def money_sections():
    for path in sorted(ROOT.glob("configs/*.cfg")) + sorted(ROOT.glob("configs/experiments/*.cfg")):
        for name, section in load_config(path, interpolate=False)["components"].items():
            if section.get("factory") == "chip_ner_money":
                yield pytest.param(section, id=f"{path.name}:{name}")


@pytest.mark.parametrize("section", list(money_sections()))
def test_configs_name_a_valid_mode(section):
    assert set(section) <= {"factory", "matcher", "mode"} and section.get("mode", "add") in MODES
    spacy.blank("zh").add_pipe("chip_ner_money", config={k: v for k, v in section.items() if k != "factory"})


# MONEY values ---------------------------------------------------------------------------

@pytest.mark.parametrize("text,value,low,high,currency,approximate", [
    ("5100萬美元", 51_000_000, 51_000_000, 51_000_000, "USD", False),
    ("4 美分", 0.04, 0.04, 0.04, "USD", False),
    ("300 亿至 400 亿美元", None, 3e10, 4e10, "USD", False),
    ("2.5-4万美元", None, 25_000, 40_000, "USD", False),
    ("100 亿甚至 1000 亿美元", None, 1e10, 1e11, "USD", False),
    ("人民币460亿元", 4.6e10, 4.6e10, 4.6e10, "CNY", False),
    ("新台幣9899億元", 9.899e11, 9.899e11, 9.899e11, "TWD", False),
    ("114.28元", 114.28, 114.28, 114.28, "CNY", False),
    ("3.1亿欧元", 3.1e8, 3.1e8, 3.1e8, "EUR", False),
    ("二十多亿美元", 2e9, 2e9, 2e9, "USD", True),
    ("數十億美元", None, None, None, "USD", True),
    ("$5 billion", 5e9, 5e9, 5e9, "USD", False),
    # 兆 = 10^12 and amounts in several parts, largest first (corpus/GUIDELINES.md, MONEY)
    ("新台幣1兆2,345億元", 1.2345e12, 1.2345e12, 1.2345e12, "TWD", False),
    ("新台币2兆6,000亿元", 2.6e12, 2.6e12, 2.6e12, "TWD", False),
    ("人民币3亿5000万元", 3.5e8, 3.5e8, 3.5e8, "CNY", False),
    ("1億2千萬美元", 1.2e8, 1.2e8, 1.2e8, "USD", False),
    ("三亿五千万元", 3.5e8, 3.5e8, 3.5e8, "CNY", False),
    ("1兆至1.5兆日圓", None, 1e12, 1.5e12, "JPY", False),
    # full-width digits and separators
    ("１２億美元", 1.2e9, 1.2e9, 1.2e9, "USD", False),
    ("１２．５億美元", 1.25e9, 1.25e9, 1.25e9, "USD", False),
    ("12，345億元", 1.2345e12, 1.2345e12, 1.2345e12, "CNY", False),
    ("US$1,250萬", 1.25e7, 1.25e7, 1.25e7, "USD", False),
    # a last part without its magnitude; currencies beyond the first table
    ("85萬4000韓圜", 854_000, 854_000, 854_000, "KRW", False),
    ("2,251億6,000萬盧比", 2.2516e11, 2.2516e11, 2.2516e11, "INR", False),
    ("1億2,000萬新加坡元", 1.2e8, 1.2e8, 1.2e8, "SGD", False),
    ("S$1.2億", 1.2e8, 1.2e8, 1.2e8, "SGD", False),
    ("1萬8,000至2萬1,000美元", None, 18_000, 21_000, "USD", False),
    ("兆元", None, None, None, "CNY", True),
])
def test_money_values(text, value, low, high, currency, approximate):
    result = money_value(text)
    assert result["value"] == pytest.approx(value) if value is not None else result["value"] is None
    assert (result["min"], result["max"]) == (pytest.approx(low), pytest.approx(high)) if low else result["min"] is None
    assert result["currency"] == currency and result["approximate"] is approximate


@pytest.mark.parametrize("text,values,low,high", [
    ("1.22亿、4.08亿和24.1亿港元", [1.22e8, 4.08e8, 2.41e9], 1.22e8, 2.41e9),
    ("4.08亿和1.22亿港元", [4.08e8, 1.22e8], 1.22e8, 4.08e8),  # a list is not ordered
    ("30亿至20亿美元", [3e9, 2e9], 3e9, 2e9),  # a range keeps the order written
    ("與30亿至20亿美元", [3e9, 2e9], 3e9, 2e9),  # a separator outside the gaps makes no list
    ("30亿 和 20亿美元", [3e9, 2e9], 2e9, 3e9),  # spaces around the separator
    ("5100萬美元", [5.1e7], 5.1e7, 5.1e7),
    ("數十億美元", [None], None, None),
])
def test_money_values_of_lists_and_ranges(text, values, low, high):
    result = money_value(text)
    assert result["values"] == [pytest.approx(v) if v is not None else None for v in values]
    assert (result["min"], result["max"]) == ((pytest.approx(low), pytest.approx(high)) if low else (None, None))
    assert result["value"] is None or len(values) == 1


def test_every_currency_word_is_matched_and_valued():
    """One table: each currency the value parser knows is a currency to the matcher (a symbol
    before the amount, a word after it), with the table's code."""
    for word, code in CURRENCIES.items():
        text = f"{word}20亿" if is_symbol(word) else f"20亿{word}"
        assert surfaces(f"投资{text}。") == [text], word
        assert money_value(text)["currency"] == code, word


def test_a_currency_word_comes_before_the_words_inside_it():
    """`money_value` takes the first word found, so 美元 must be tried before 元, US$ before $."""
    words = list(CURRENCIES)
    for i, word in enumerate(words):
        assert not any(word in later for later in words[i + 1:]), word
