"""Tokenizer for Chinese text with embedded Latin names: one token per Chinese character,
one token per run of Latin letters and digits (`英伟达H100` -> 英 / 伟 / 达 / H100).

Why: word segmenters (jieba, pkuseg) cut through company and chip names (`英伟 / 达H100`,
`谷 / 歌云`), so entity boundaries fall inside tokens; pure character tokens never do, but
they also split `Anthropic` into nine letters and lose the word features that make Latin
names easy. Splitting at script changes keeps both. This file is self-contained so that
`spacy package --code` can ship it inside the model package.

Text is kept as written, but what the lists and the model match on (NORM) is folded:
full-width Latin and digits become ASCII (`Ｈ１００` matches `H100`), and format characters
(zero-width joiners, soft hyphens, bidi marks) are glued to the token before them and left out
of its NORM (`英\u200d伟达` matches `英伟达`). A format character at the start of the text or
after whitespace is a token of its own, so no entity has to start with one.
The words and their trailing spaces are built in one pass, so the cost is linear in the text
(spaCy's `get_words_and_spaces` searches the rest of the text for every word).
"""
from __future__ import annotations

import re
from typing import Any

from spacy.tokens import Doc
from spacy.util import DummyTokenizer, registry

# Unicode format characters (category Cf): those of the BMP, and the tag characters.
FORMAT_RANGES = [(0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD), (0x070F, 0x070F),
                 (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x202A, 0x202E),
                 (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0xE0001, 0xE0001),
                 (0xE0020, 0xE007F)]
FORMAT_CHARS = "".join(f"{chr(a)}-{chr(b)}" if a < b else chr(a) for a, b in FORMAT_RANGES)
LATIN = r"A-Za-z0-9\u00C0-\u024F\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A"
# A run of Latin letters (incl. accented and full-width) and digits stays whole, format
# characters inside or after it included; any other character that is not whitespace is one
# token, with the format characters after it; format characters after whitespace or at the
# start are a token of their own.
TOKEN = re.compile(rf"[{LATIN}]+(?:[{FORMAT_CHARS}]+[{LATIN}]+)*[{FORMAT_CHARS}]*"
                   rf"|[^\s{FORMAT_CHARS}][{FORMAT_CHARS}]*|[{FORMAT_CHARS}]+")
NEEDS_FOLDING = re.compile(rf"[{FORMAT_CHARS}\uff01-\uff5e]")
# Full-width ASCII -> ASCII, format characters -> nothing: the NORM of a token that has them.
FOLD = {**{cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)},
        **{cp: None for a, b in FORMAT_RANGES for cp in range(a, b + 1)}}


def fold(text: str) -> str:
    """`Ｈ１００` -> `H100`, `英\u200d` -> `英`: the form lists and the model should see."""
    return text.translate(FOLD)


def words_and_spaces(text: str) -> tuple[list[str], list[bool]]:
    """spaCy's words/spaces convention (one plain space after a word is its trailing space;
    other whitespace is a token of its own), in one pass over the matches."""
    words: list[str] = []
    spaces: list[bool] = []
    pos, length = 0, len(text)
    for match in TOKEN.finditer(text):
        start, end = match.span()
        if start > pos:
            words.append(text[pos:start])
            spaces.append(False)
        words.append(match.group())
        if end < length and text[end] == " ":
            spaces.append(True)
            pos = end + 1
        else:
            spaces.append(False)
            pos = end
    if pos < length:
        words.append(text[pos:])
        spaces.append(False)
    return words, spaces


class CharLatinTokenizer(DummyTokenizer):
    def __init__(self, vocab):
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        words, spaces = words_and_spaces(text)
        doc = Doc(self.vocab, words=words, spaces=spaces)
        if NEEDS_FOLDING.search(text):
            for token in doc:
                if NEEDS_FOLDING.search(token.text):
                    folded = fold(token.text)
                    # The folded word's own NORM, so the script table (偉 -> 伟) still applies.
                    token.norm_ = self.vocab[folded].norm_ if folded else token.text
        return doc

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
