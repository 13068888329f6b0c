"""chip_ner/pipeline/continuations.py: chip_ner_legal_names extends a COMPANY to the legal name
written right after it (J28, J29), chip_ner_model_numbers a CHIP to its model number (J32), and to
nothing else."""
import pytest
import spacy
from spacy.tokens import Span

import chip_ner.spacy_code  # noqa: F401
from chip_ner.pipeline.continuations import model_number_end, rest_of_legal_name
from conftest import blank_zh, through


@pytest.fixture(scope="module")
def nlp():
    return blank_zh("chip_ner_legal_names", "chip_ner_model_numbers")


@pytest.mark.parametrize("text,spans,expected", [
    ("沐曦集成电路（上海）股份有限公司今日上市", [("沐曦集成电路", "COMPANY")], ["沐曦集成电路（上海）股份有限公司"]),
    ("由華泰聯合證券有限責任公司擔任保薦人", [("華泰", "COMPANY")], ["華泰聯合證券有限責任公司"]),
    ("深圳市瀚衡供应链管理有限公司成立", [("深圳市瀚衡", "COMPANY")], ["深圳市瀚衡供应链管理有限公司"]),
    ("黑芝麻智能国际控股有限公司公告", [("黑芝麻智能国际", "COMPANY")], ["黑芝麻智能国际控股有限公司"]),
    # already a legal name: what follows is another company (a verb between them)
    ("杭州芯衡微电子股份有限公司起诉深圳岚核科技有限公司", [("杭州芯衡微电子股份有限公司", "COMPANY")],
     ["杭州芯衡微电子股份有限公司"]),
    # two companies: the parent, then its subsidiary's legal name
    ("恒润股份控股子公司上海润六尺科技有限公司", [("恒润股份", "COMPANY")], ["恒润股份"]),
    # a function word: not one name
    ("英伟达与上海某某科技有限公司签约", [("英伟达", "COMPANY")], ["英伟达"]),
    # a generic 公司 after a short name stays out (the guidelines' 苹果公司 -> 苹果)
    ("苹果公司发布新品", [("苹果", "COMPANY")], ["苹果"]),
    # another entity inside the continuation: never overlap it (that one may take the legal name)
    ("台积电南京有限公司", [("台积电", "COMPANY"), ("南京", "COMPANY")], ["台积电", "南京有限公司"]),
    # only COMPANY is extended
    ("李明有限公司", [("李明", "PERSON")], ["李明"]),
    # nothing follows
    ("英伟达", [("英伟达", "COMPANY")], ["英伟达"]),
])
def test_a_company_takes_the_legal_name_written_after_it(nlp, text, spans, expected):
    doc = through(nlp, "chip_ner_legal_names", text, spans)
    assert [e.text for e in doc.ents] == expected
    assert [e.label_ for e in doc.ents] == [label for _, label in spans]


def test_every_extension_is_recorded(nlp):
    doc = through(nlp, "chip_ner_legal_names", "沐曦集成电路（上海）股份有限公司", [("沐曦集成电路", "COMPANY")])
    assert doc.user_data["chip_ner_extended"] == [(0, 6, "COMPANY", (0, 16))]
    assert "chip_ner_extended" not in through(nlp, "chip_ner_legal_names", "英伟达", [("英伟达", "COMPANY")]).user_data


def test_a_legal_name_that_ends_inside_a_token_is_recorded_not_forced():
    nlp = spacy.blank("zh")
    nlp.add_pipe("chip_ner_legal_names")
    doc = spacy.tokens.Doc(nlp.vocab, words=["华泰", "联合证券有限公司发布"], spaces=[False, False])
    doc.ents = [Span(doc, 0, 1, label="COMPANY")]
    doc = nlp.get_pipe("chip_ner_legal_names")(doc)
    assert [e.text for e in doc.ents] == ["华泰"]
    assert doc.user_data["chip_ner_misaligned"][0][:3] == (0, 10, "COMPANY")


@pytest.mark.parametrize("text,end,expected", [
    ("华芯（北京）有限公司", 2, 10),
    ("华芯有限公司", 2, 6),
    ("华芯的有限公司", 2, None),
    ("华芯科技", 2, None),
    ("华芯" + "甲" * 11 + "有限公司", 2, None),  # more than ten business characters: not one name
])
def test_rest_of_legal_name(text, end, expected):
    assert rest_of_legal_name(text, end) == expected


def test_the_packaged_config_extends_after_every_component_that_sets_entities():
    """Legal names, then the names before stock codes (tests/test_tickers.py), then the chips' model
    numbers, then the span rules."""
    import srsly
    from spacy.util import load_config

    from conftest import ROOT
    config = ROOT / "configs" / f"{srsly.read_yaml(ROOT / 'project.yml')['vars']['config']}.cfg"
    pipeline = load_config(config, interpolate=False)["nlp"]["pipeline"]
    assert pipeline[pipeline.index("chip_ner_legal_names") - 1:][:5] == [
        "chip_ner_money", "chip_ner_legal_names", "chip_ner_tickers", "chip_ner_model_numbers", "chip_ner_span_rules"]

@pytest.mark.parametrize("text,spans,expected", [
    # glued to a Chinese brand
    ("联发科发布天玑9500，采用3纳米", [("天玑", "CHIP")], [("天玑9500", "CHIP")]),
    ("又推出天玑9500s与天玑8500", [("天玑", "CHIP")], [("天玑9500s", "CHIP")]),
    ("推論晶片天鷹K-1主打邊緣", [("天鷹", "CHIP")], [("天鷹K-1", "CHIP")]),
    ("训练芯片邃思1.0已上线", [("邃思", "CHIP")], [("邃思1.0", "CHIP")]),
    ("推論晶片曜衡NX-700在3奈米", [("曜衡", "CHIP")], [("曜衡NX-700", "CHIP")]),
    # after one space, behind a Latin or digit end
    ("Azure Cobalt 100;谷歌", [("Azure Cobalt", "CHIP")], [("Azure Cobalt 100", "CHIP")]),
    ("新一代Veyron V2单芯片", [("Veyron", "CHIP")], [("Veyron V2", "CHIP")]),
    ("酷睿Ultra 200V系列", [("酷睿Ultra", "CHIP")], [("酷睿Ultra 200V", "CHIP")]),
    ("TPU v5e的成本", [("TPU", "CHIP")], [("TPU v5e", "CHIP")]),
    ("聯發科推出天璣 9400，效能", [("天璣", "CHIP")], [("天璣 9400", "CHIP")]),
    # the model number already a CHIP of its own: one chip name
    ("处理器IP玄铁C930，并于", [("玄铁", "CHIP"), ("C930", "CHIP")], [("玄铁C930", "CHIP")]),
    # a vendor before its model number stays split (J32), whatever it is labelled
    ("晶片鋒芯FX-7的量產", [("鋒芯", "COMPANY"), ("FX-7", "CHIP")], [("鋒芯", "COMPANY"), ("FX-7", "CHIP")]),
    ("英伟达H100", [("英伟达", "COMPANY")], [("英伟达", "COMPANY")]),
    # what stays outside: number formats, racks, years, counts, a word that goes on
    ("深算二号FP16算力", [("深算二号", "CHIP")], [("深算二号", "CHIP")]),
    ("GB200 NVL72机柜", [("GB200", "CHIP")], [("GB200", "CHIP")]),
    ("Computex 2024发布", [("Computex", "CHIP")], [("Computex", "CHIP")]),
    ("采购B200 72颗", [("B200", "CHIP")], [("B200", "CHIP")]),
    ("昇腾910 8卡服务器", [("昇腾910", "CHIP")], [("昇腾910", "CHIP")]),
    ("采购昇腾 2 万颗", [("昇腾", "CHIP")], [("昇腾", "CHIP")]),
    ("完成昇腾0day适配", [("昇腾", "CHIP")], [("昇腾", "CHIP")]),
    ("昇腾Atlas 800", [("昇腾", "CHIP")], [("昇腾", "CHIP")]),
    # another entity over the number: never overlap it
    ("天玑9500 PERSON", [("天玑", "CHIP"), ("9500", "COMPANY")], [("天玑", "CHIP"), ("9500", "COMPANY")]),
    # nothing follows
    ("天玑", [("天玑", "CHIP")], [("天玑", "CHIP")]),
])
def test_a_chip_takes_the_model_number_written_after_it(nlp, text, spans, expected):
    doc = through(nlp, "chip_ner_model_numbers", text, spans)
    assert [(e.text, e.label_) for e in doc.ents] == expected


def test_every_model_number_extension_is_recorded(nlp):
    doc = through(nlp, "chip_ner_model_numbers", "处理器IP玄铁C930，天玑9500", [("玄铁", "CHIP"), ("C930", "CHIP"), ("天玑", "CHIP")])
    assert doc.user_data["chip_ner_model_numbers"] == [(5, 7, "CHIP", (5, 11)), (12, 14, "CHIP", (12, 18))]


@pytest.mark.parametrize("text,end,expected", [
    ("天玑9500，", 2, 6),
    ("天玑9500", 2, 6),
    ("Veyron V2单", 6, 9),
    ("Veyron V2X3", 6, None),  # the word goes on: not a model number
    ("天玑", 2, None),
    ("", 0, None),
    ("昇腾HBM3E", 2, None),  # memory and interconnect standards are not CHIP
    ("昇腾PCIe5", 2, None),
    ("天玑9500 8卡", 2, 6),
    ("昇腾910 8卡", 5, None),
])
def test_model_number_end(text, end, expected):
    assert model_number_end(text, end) == expected
