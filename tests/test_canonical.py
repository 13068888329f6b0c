import json

import pytest
import spacy
from spacy.lookups import Lookups

from chip_ner.pipeline import (  # noqa: F401  (register the cue component and the tokenizer)
    money,  # noqa: F401  (registers ent._.money)
    person,
    tokenizer,
)
from chip_ner.pipeline.canonical import normalise
from conftest import through

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


@pytest.mark.parametrize("text,surface,label,expected", [
    ("英偉達發布", "英偉達", "COMPANY", "nvidia"),       # traditional form of a known alias
    ("Nvidia发布", "Nvidia", "COMPANY", "nvidia"),       # case-folded Latin
    ("黃仁勳表示", "黃仁勳", "PERSON", "jensen-huang"),
    ("jensen huang said", "jensen huang", "PERSON", "jensen-huang"),
    ("台積電擴產", "台積電", "COMPANY", "台積電"),       # unknown: its normalised form (no table entry for these)
    ("Cerebras Systems", "Cerebras Systems", "COMPANY", "cerebrassystems"),
    ("ＮＶＩＤＩＡ发布", "ＮＶＩＤＩＡ", "COMPANY", "nvidia"),          # full-width Latin folds
    ("英\u200d偉\u200c達发布", "英\u200d偉\u200c達", "COMPANY", "nvidia"),  # format characters are ignored
])
def test_ids(nlp, text, surface, label, expected):
    doc = through(nlp, "chip_ner_canonical", text, [(surface, label)])
    assert doc.ents[0].id_ == expected and doc.ents[0].text == surface


def test_money_gets_no_id_but_a_value(nlp):
    doc = through(nlp, "chip_ner_canonical", "投资5100萬美元", [("5100萬美元", "MONEY")])
    assert doc.ents[0].id_ == "" and doc.ents[0]._.money["value"] == 51_000_000 and doc.ents[0]._.money["currency"] == "USD"


def test_aliases_survive_serialisation(nlp, tmp_path):
    nlp.to_disk(tmp_path / "p")
    loaded = spacy.load(tmp_path / "p")
    assert loaded.get_pipe("chip_ner_canonical").aliases == nlp.get_pipe("chip_ner_canonical").aliases


def test_normalise():
    assert normalise("Jensen  Huang", {}) == "jensenhuang" and normalise("安迪·格鲁夫", {}) == "安迪格鲁夫"
    assert normalise("Ｈ１００", {}) == "h100" and normalise("英\u200d伟\u00ad达", {}) == "英伟达"



# Serialisation of the whole shipped pipeline -----------------------------------------------

CUES = [{"cue": "分析师", "kind": "title"}, {"cue": "表示", "kind": "after"}, {"cue": "黄", "kind": "surname"}]
TEXT = "分析师黄仁勋表示,分析师Jensen Huang也在。"
EXPECTED = [("黄仁勋", "PERSON", "jensen-huang"), ("Jensen Huang", "PERSON", "jensen-huang")]


def shipped_pipeline(initialized: bool):
    """The shipped tokenizer, cues and canonical IDs; uninitialised components are what
    `spacy.load` builds before it reads their data."""
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "chip_ner.CharLatinTokenizer.v1"}}})
    cues = nlp.add_pipe("chip_ner_person_cues")
    canonical = nlp.add_pipe("chip_ner_canonical")
    if initialized:
        cues.initialize(cues=CUES)
        canonical.initialize(patterns=PATTERNS)
    return nlp


def entities(nlp):
    return [(e.text, e.label_, e.id_) for e in nlp(TEXT).ents]


def test_pipeline_survives_bytes():
    nlp = shipped_pipeline(initialized=True)
    assert entities(nlp) == EXPECTED
    assert entities(shipped_pipeline(initialized=False).from_bytes(nlp.to_bytes())) == EXPECTED


def test_pipeline_survives_disk(tmp_path):
    nlp = shipped_pipeline(initialized=True)
    nlp.to_disk(tmp_path / "p")
    assert entities(shipped_pipeline(initialized=False).from_disk(tmp_path / "p")) == EXPECTED
    assert entities(spacy.load(tmp_path / "p")) == EXPECTED


def test_component_bytes_honour_exclude(nlp):
    data = nlp.get_pipe("chip_ner_canonical").to_bytes(exclude=["aliases"])
    assert spacy.blank("zh").add_pipe("chip_ner_canonical").from_bytes(data).aliases == {}


def test_aliases_file_of_earlier_pipelines_still_loads(tmp_path):
    """Pipelines trained before to_bytes existed wrote `aliases.json` with json.dumps."""
    (tmp_path / "aliases.json").write_text(json.dumps({"英伟达": "nvidia"}, ensure_ascii=False), encoding="utf-8")
    assert spacy.blank("zh").add_pipe("chip_ner_canonical").from_disk(tmp_path).aliases == {"英伟达": "nvidia"}
