import pytest
import spacy
from spacy.lookups import Lookups

from chip_ner.config_code.readers import read_patterns
from chip_ner.config_code.versions import chip_families, version_patterns
from chip_ner.pipeline import tokenizer  # noqa: F401  (registers the tokenizer)

ENTRIES = [
    {"label": "CHIP", "pattern": "TPU v4"},
    {"label": "CHIP", "pattern": "Cloud TPU v5e"},
    {"label": "CHIP", "pattern": "Cloud TPU"},
    {"label": "CHIP", "pattern": "TPU"},
    {"label": "CHIP", "pattern": "Gaudi 3"},
    {"label": "CHIP", "pattern": "MI300X"},
    {"label": "CHIP", "pattern": "昇腾910B"},
    {"label": "CHIP", "pattern": "H100"},      # one-letter family: not generalised
    {"label": "CHIP", "pattern": "AI200"},     # generic word: not generalised
    {"label": "COMPANY", "pattern": "Xeon 6"},  # not a CHIP entry
]


@pytest.fixture
def nlp():
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "chip_ner.CharLatinTokenizer.v1"}}})
    lookups = Lookups()
    lookups.add_table("lexeme_norm", {"騰": "腾"})
    nlp.vocab.lookups = lookups
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "NORM"})
    ruler.add_patterns([e for e in ENTRIES if e["label"] == "CHIP"] + version_patterns(ENTRIES))
    return nlp


def test_families_and_shapes():
    assert chip_families(ENTRIES) == {"TPU": {r"v\d{1,2}[a-z]?"}, "Cloud TPU": {r"v\d{1,2}[a-z]?"},
                                      "Gaudi": {r"\d{1}[a-z]?"}, "MI": {r"\d{3}[a-z]?"}, "昇腾": {r"\d{3}[a-z]?"}}


@pytest.mark.parametrize("text,expected", [
    ("谷歌TPUv5芯片", ["TPUv5"]),                     # glued, a version the list never named
    ("TPU v7发布", ["TPU v7"]),
    ("谷歌CloudTPUv6e芯片", ["CloudTPUv6e"]),          # the whole family glued
    ("與Cloud TPU v4相比", ["Cloud TPU v4"]),          # the longest match beats `Cloud TPU`
    ("Gaudi 4和MI355X", ["Gaudi 4", "MI355X"]),
    ("昇騰920C芯片", ["昇騰920C"]),                    # Chinese family, traditional script via NORM
    ("H200和AI100", []),                              # one-letter and generic families stay as listed
    ("TPU 2024年", ["TPU"]),                           # a year is no version of a v-scheme
    ("Gaudi 2024", []),                                # nor of a one-digit scheme
])
def test_versions_match(nlp, text, expected):
    assert [e.text for e in nlp(text).ents] == expected


def test_patterns_reader_adds_versions_only_when_asked(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"label": "CHIP", "pattern": "TPU v4"}\n', encoding="utf-8")
    plain = read_patterns(str(path))
    with_versions = read_patterns(str(path), chip_versions=True)
    assert plain == [{"label": "CHIP", "pattern": "TPU v4"}]
    assert with_versions[:1] == plain and len(with_versions) == 1 + 2  # `TPU` `v4` as two tokens, or glued
    assert all(p["label"] == "CHIP" and isinstance(p["pattern"], list) for p in with_versions[1:])
