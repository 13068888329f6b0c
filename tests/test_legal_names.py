"""chip_ner_legal_names: a COMPANY is extended to the legal name written right after it (J28, J29),
and to nothing else."""
import pytest
import spacy
from spacy.tokens import Span

import chip_ner.spacy_code  # noqa: F401
from chip_ner.pipeline.legal_names import rest_of_legal_name
from conftest import blank_zh, through


@pytest.fixture(scope="module")
def nlp():
    return blank_zh("chip_ner_legal_names")


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
    numbers (tests/test_model_numbers.py), then the span rules."""
    import srsly
    from spacy.util import load_config

    from conftest import ROOT
    config = ROOT / "configs" / f"{srsly.read_yaml(ROOT / 'project.yml')['vars']['config']}.cfg"
    pipeline = load_config(config, interpolate=False)["nlp"]["pipeline"]
    assert pipeline[pipeline.index("chip_ner_legal_names") - 1:][:5] == [
        "chip_ner_money", "chip_ner_legal_names", "chip_ner_tickers", "chip_ner_model_numbers", "chip_ner_span_rules"]
