import pytest
import spacy

from chip_ner.pipeline.tokenizer import CharLatinTokenizer
from conftest import blank_zh


@pytest.fixture
def nlp():
    return blank_zh()


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


@pytest.mark.parametrize("text,tokens,norms", [
    ("ＮＶＩＤＩＡ Ｈ１００", ["ＮＶＩＤＩＡ", "Ｈ１００"], ["nvidia", "h100"]),          # full-width folds in NORM
    ("英\u200d伟\u200c达", ["英\u200d", "伟\u200c", "达"], ["英", "伟", "达"]),      # format characters glue to the left
    ("\u200b英伟达", ["\u200b", "英", "伟", "达"], ["\u200b", "英", "伟", "达"]),   # ... or stand alone at the start
    ("NVI\u200dDIA", ["NVI\u200dDIA"], ["nvidia"]),                                # inside a Latin run
    ("H\u00ad100", ["H\u00ad100"], ["h100"]),                                      # soft hyphen
])
def test_folded_norms(nlp, text, tokens, norms):
    doc = nlp(text)
    assert [t.text for t in doc] == tokens and [t.norm_ for t in doc] == norms and doc.text == text


def test_norm_of_a_glued_character_uses_the_script_table():
    from spacy.lookups import Lookups

    nlp = blank_zh()
    lookups = Lookups()
    lookups.add_table("lexeme_norm", {"偉": "伟"})
    nlp.vocab.lookups = lookups
    assert [t.norm_ for t in nlp("英偉\u200d達")][:2] == ["英", "伟"]


def test_words_and_spaces_equal_spacys_on_random_text():
    """One pass gives exactly what spaCy's get_words_and_spaces reconstructs from the same words."""
    import random

    from spacy.util import get_words_and_spaces

    from chip_ner.pipeline.tokenizer import TOKEN, words_and_spaces

    rng = random.Random(7)
    alphabet = list("英伟达H100 a\n\t\u3000，。（）Ｈ１\u200d\u200b·") + [" "] * 4
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert words_and_spaces(text) == get_words_and_spaces(TOKEN.findall(text), text), repr(text)


def test_format_ranges_hold_every_format_character_of_the_bmp():
    import unicodedata

    from chip_ner.pipeline.tokenizer import FORMAT_RANGES

    listed = {cp for a, b in FORMAT_RANGES for cp in range(a, b + 1)}
    assert all(unicodedata.category(chr(cp)) == "Cf" for cp in listed)
    assert {cp for cp in range(0x10000) if unicodedata.category(chr(cp)) == "Cf"} <= listed
