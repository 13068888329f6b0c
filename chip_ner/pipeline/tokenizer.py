"""Tokenizer for Chinese text with embedded Latin names: one token per Chinese character,
one token per run of Latin letters and digits (`英伟达H100` -> 英 / 伟 / 达 / H100).

Why: word segmenters (jieba, pkuseg) cut through company and chip names (`英伟 / 达H100`,
`谷 / 歌云`), so entity boundaries fall inside tokens; pure character tokens never do, but
they also split `Anthropic` into nine letters and lose the word features that make Latin
names easy. Splitting at script changes keeps both. This file is self-contained so that
`spacy package --code` can ship it inside the model package.
"""
from __future__ import annotations

import re
from typing import Any

from spacy.tokens import Doc
from spacy.util import DummyTokenizer, get_words_and_spaces, registry

# Runs of Latin letters (incl. accented and full-width) and digits stay whole; anything else
# that is not whitespace is one token per character.
TOKEN = re.compile(r"[A-Za-z0-9\u00C0-\u024F\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]+|\S")


class CharLatinTokenizer(DummyTokenizer):
    def __init__(self, vocab):
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        words = TOKEN.findall(text)
        words, spaces = get_words_and_spaces(words, text)
        return Doc(self.vocab, words=words, spaces=spaces)

    # No state to save: the rules are code.
    def to_bytes(self, **kwargs: Any) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs: Any) -> "CharLatinTokenizer":
        return self

    def to_disk(self, path, **kwargs: Any) -> None:
        return None

    def from_disk(self, path, **kwargs: Any) -> "CharLatinTokenizer":
        return self


@registry.tokenizers("chip_ner.CharLatinTokenizer.v1")
def create_char_latin_tokenizer():
    def make_tokenizer(nlp):
        return CharLatinTokenizer(nlp.vocab)

    return make_tokenizer
