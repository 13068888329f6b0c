import pytest
import spacy

from chip_ner.pipeline.tokenizer import CharLatinTokenizer


@pytest.fixture
def nlp():
    return spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "chip_ner.CharLatinTokenizer.v1"}}})


@pytest.mark.parametrize("text,tokens", [
    ("英伟达H100芯片", ["英", "伟", "达", "H100", "芯", "片"]),
    ("谷歌Cloud TPU v5e", ["谷", "歌", "Cloud", "TPU", "v5e"]),
    ("投資12.5億美元", ["投", "資", "12", ".", "5", "億", "美", "元"]),
    ("🍎 苹果", ["🍎", "苹", "果"]),
    ("Todd R. Weiss表示", ["Todd", "R", ".", "Weiss", "表", "示"]),
])
def test_tokens(nlp, text, tokens):
    assert [t.text for t in nlp(text)] == tokens


@pytest.mark.parametrize("text", ["英伟达  H100\n芯片", " 前后空格 ", "a\u3000b"])
def test_text_round_trips(nlp, text):
    assert nlp(text).text == text


def test_config_builds_it_by_name(nlp):
    assert isinstance(nlp.tokenizer, CharLatinTokenizer)


def test_survives_serialisation(nlp, tmp_path):
    nlp.to_disk(tmp_path / "p")
    loaded = spacy.load(tmp_path / "p")
    assert [t.text for t in loaded("英伟达H100")] == ["英", "伟", "达", "H100"]
