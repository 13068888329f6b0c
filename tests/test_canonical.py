import pytest
import spacy
from spacy.lookups import Lookups
from spacy.tokens import Span

from chip_ner.canonical import money_value, normalise

PATTERNS = [
    {"label": "COMPANY", "pattern": "英伟达", "id": "nvidia"},
    {"label": "COMPANY", "pattern": "輝達", "id": "nvidia"},
    {"label": "COMPANY", "pattern": "NVIDIA", "id": "nvidia"},
    {"label": "PERSON", "pattern": "黄仁勋", "id": "jensen-huang"},
    {"label": "PERSON", "pattern": "Jensen Huang", "id": "jensen-huang"},
]


@pytest.fixture
def nlp():
    nlp = spacy.blank("zh")
    lookups = Lookups()
    lookups.add_table("lexeme_norm", {"偉": "伟", "達": "达", "黃": "黄", "勳": "勋", "輝": "辉"})
    nlp.vocab.lookups = lookups
    canonical = nlp.add_pipe("chip_ner_canonical")
    canonical.initialize(patterns=PATTERNS)
    return nlp


def with_ents(nlp, text, ents):
    doc = nlp.make_doc(text)
    doc.ents = [doc.char_span(text.index(surface), text.index(surface) + len(surface), label=label)
                for surface, label in ents]
    return nlp.get_pipe("chip_ner_canonical")(doc)


@pytest.mark.parametrize("text,surface,label,expected", [
    ("英偉達發布", "英偉達", "COMPANY", "nvidia"),       # traditional form of a known alias
    ("Nvidia发布", "Nvidia", "COMPANY", "nvidia"),       # case-folded Latin
    ("黃仁勳表示", "黃仁勳", "PERSON", "jensen-huang"),
    ("jensen huang said", "jensen huang", "PERSON", "jensen-huang"),
    ("台積電擴產", "台積電", "COMPANY", "台積電"),       # unknown: its normalised form (no table entry for these)
    ("Cerebras Systems", "Cerebras Systems", "COMPANY", "cerebrassystems"),
])
def test_ids(nlp, text, surface, label, expected):
    doc = with_ents(nlp, text, [(surface, label)])
    assert doc.ents[0].id_ == expected and doc.ents[0].text == surface


def test_money_gets_no_id_but_a_value(nlp):
    doc = with_ents(nlp, "投资5100萬美元", [("5100萬美元", "MONEY")])
    assert doc.ents[0].id_ == "" and doc.ents[0]._.money["value"] == 51_000_000 and doc.ents[0]._.money["currency"] == "USD"


def test_aliases_survive_serialisation(nlp, tmp_path):
    nlp.to_disk(tmp_path / "p")
    loaded = spacy.load(tmp_path / "p")
    assert loaded.get_pipe("chip_ner_canonical").aliases == nlp.get_pipe("chip_ner_canonical").aliases


def test_normalise():
    assert normalise("Jensen  Huang", {}) == "jensenhuang" and normalise("安迪·格鲁夫", {}) == "安迪格鲁夫"


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
])
def test_money_values(text, value, low, high, currency, approximate):
    result = money_value(text)
    assert result["value"] == pytest.approx(value) if value is not None else result["value"] is None
    assert (result["min"], result["max"]) == (pytest.approx(low), pytest.approx(high)) if low else result["min"] is None
    assert result["currency"] == currency and result["approximate"] is approximate
