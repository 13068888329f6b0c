"""Dictionary-word features (chip_ner/pipeline/lexicon.py) and their `[initialize]` reader
(chip_ner.lexicon_lookups.v1): which words a character sees, located errors in a bad dictionary,
the words saved with the pipeline, and a long Doc run in pieces giving the whole Doc's vectors."""
import json
from pathlib import Path

import numpy
import pytest
import spacy
from spacy.pipeline.tok2vec import Tok2Vec

import chip_ner.spacy_code  # noqa: F401
from chip_ner.config_code.readers import lexicon_lookups, read_dictionary
from chip_ner.errors import ChipNerError
from chip_ner.pipeline.lexicon import END, INSIDE, NONE, START, TABLE, doc_words, lexicon_columns, word_feature
from chip_ner.pipeline.tok2vec import receptive_field
from conftest import blank_zh

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
WORDS = {"华虹": 5, "半导体": 6, "导体": 6, "张素心": 2}


def columns(text_or_tokens, words=WORDS):
    tokens = list(text_or_tokens)
    return lexicon_columns(tokens, words).tolist()


def test_longest_word_starting_and_ending_at_a_character_wins():
    cols = columns("华虹半导体")
    assert cols[0] == [word_feature(START, 5, 2), NONE, NONE]
    assert cols[1] == [NONE, word_feature(END, 5, 2), NONE]
    assert cols[2][0] == word_feature(START, 6, 3)  # 半导体, not nothing
    assert cols[3] == [word_feature(START, 6, 2), NONE, word_feature(INSIDE, 6)]  # 导体 starts, inside 半导体
    assert cols[4][1] == word_feature(END, 6, 3)  # 半导体 (3) over 导体 (2)


@pytest.mark.parametrize("tokens", [
    ["华", "nvidia", "虹"],  # a Latin word between the characters
    ["华", " ", "虹"],  # a space
    ["华虹"],  # one token of two characters (not how the tokenizer cuts Chinese): never looked up
    [],
])
def test_only_runs_of_one_character_chinese_tokens_are_looked_up(tokens):
    assert all(value == NONE for row in columns(tokens) for value in row)


def test_a_word_longer_than_seven_characters_is_not_looked_up():
    cols = columns("一二三四五六七八", {"一二三四五六七八": 6, "一二三四五六七": 6})
    assert (cols[6][1], cols[7][1]) == (word_feature(END, 6, 7), NONE)


def test_dictionary_keeps_chinese_words_of_two_to_seven_characters(tmp_path):
    path = tmp_path / "dict.txt"
    path.write_text("华虹 20 nz\n半导体 500 n\n华虹 3 nt\nAT&T 3 nz\n的 100 uj\n一二三四五六七八 1 l\n张素心 2 nr\n", encoding="utf-8")
    assert read_dictionary(path) == {"华虹": 5, "半导体": 6, "张素心": 2}  # the first tag of a word wins


@pytest.mark.parametrize("line,reason", [
    ("华虹 nz", "expected `word frequency tag`"),
    ("华虹 many nz", "expected `word frequency tag`"),
])
def test_a_bad_dictionary_line_is_a_located_error(tmp_path, line, reason):
    path = tmp_path / "dict.txt"
    path.write_text(f"半导体 500 n\n{line}\n", encoding="utf-8")
    with pytest.raises(ChipNerError) as err:
        read_dictionary(path)
    problem = err.value.problems[0]
    assert (problem.line, reason in problem.reason) == (2, True)
    assert f"{path}:2" in str(problem)


def test_lookups_hold_the_script_table_and_the_words_and_travel_with_the_pipeline(tmp_path):
    path = tmp_path / "dict.txt"
    path.write_text("华虹 20 nz\n", encoding="utf-8")
    lookups = lexicon_lookups(str(ROOT / "configs" / "t2s_chars.json"), str(path))
    assert lookups.get_table("lexeme_norm")["華"] == "华"
    nlp = blank_zh()
    nlp.vocab.lookups = lookups
    nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    assert doc_words(loaded.make_doc("華虹")) == {"华虹": 5}
    assert doc_words(spacy.blank("zh").make_doc("华虹")) == {}


def test_jieba_dictionary_is_read_when_none_is_named():
    words = lexicon_lookups(str(ROOT / "configs" / "t2s_chars.json")).get_table(TABLE)["words"]
    assert len(words) > 300_000 and words["半导体"] == 6


@pytest.fixture(scope="module")
def nlp():
    """tokenizer + chip_ner_tok2vec with the dictionary features, small pieces, untrained weights
    (the pieces must give the whole Doc's vectors whatever the weights)."""
    spacy.util.fix_random_seed(0)
    nlp = blank_zh()
    embed = {"@architectures": "chip_ner.LexiconHashEmbed.v1", "width": 32, "attrs": ["NORM", "SHAPE"],
             "rows": [500, 50], "lexicon_rows": 100}
    encode = {"@architectures": "spacy.MaxoutWindowEncoder.v2", "width": 32, "depth": 2, "window_size": 1, "maxout_pieces": 2}
    nlp.add_pipe("chip_ner_tok2vec", name="tok2vec", config={
        "max_tokens": 60, "model": {"@architectures": "spacy.Tok2Vec.v2", "embed": embed, "encode": encode}})
    texts = [json.loads(line)["text"] for line in (DATA / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    # every two- and three-character string of the texts is a "word": features everywhere, long words across piece edges
    words = {t[i:i + n]: 1 + i % 9 for t in texts for n in (2, 3) for i in range(len(t) - n)}
    nlp.vocab.lookups.add_table(TABLE)["words"] = words
    nlp.initialize()
    return nlp, "\n".join(texts)


def test_the_features_reach_widens_the_pieces_overlap(nlp):
    assert receptive_field(nlp[0].get_pipe("tok2vec").model) == 2 + 6  # depth 2 x window 1, + 6 for the words


def test_tok2vec_pieces_with_dictionary_features_give_the_whole_docs_vectors(nlp):
    model, text = nlp
    tok2vec = model.get_pipe("tok2vec")
    docs = [model.make_doc(text * 12), model.make_doc(""), model.make_doc("华虹半导体")]
    assert len(docs[0]) > 4 * tok2vec.max_tokens
    assert any(value != NONE for value in lexicon_columns([t.norm_ for t in docs[0]], doc_words(docs[0])).ravel())
    whole = Tok2Vec.predict(tok2vec, docs)
    pieces = tok2vec.predict(docs)
    assert all(numpy.array_equal(p, w) for p, w in zip(pieces, whole))
