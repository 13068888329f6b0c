"""Dictionary-word features for the character-tokenized tok2vec (issue 10).

A character model sees `华`, `虹`, `半`, `导`, `体` one by one; a dictionary knows that `华虹` is a word
and `半导体` another, and tags words as organisations (`nt`), people (`nr`, `nrt`), places (`ns`)
or other proper nouns (`nz`). `chip_ner.LexiconHashEmbed.v1` is spaCy's MultiHashEmbed plus three
hashed columns per token, from the dictionary words over the NORM (simplified) characters around
it: the longest word starting at the token (its tag class and length), the longest word ending at
it, and the tag of a word it sits inside. Only runs of one-character Chinese tokens are looked up
(words of 2 to 7 characters), so Latin words and numbers keep their own features.

The words are jieba's dictionary (MIT), read at `[initialize]` by `chip_ner.lexicon_lookups.v1`
(chip_ner/config_code/readers.py) into the vocab's lookups table `chip_ner_lexicon`, which is saved
with the pipeline: the packaged model needs no jieba. A token's features depend on the tokens up to
`REACH` either side, which the feature layer declares, so chip_ner_tok2vec still runs a long Doc
in pieces that give the whole Doc's vectors (chip_ner/pipeline/tok2vec.py).
Self-contained (spaCy and thinc only), so `spacy package --code` can ship it.
"""
from __future__ import annotations

from typing import Dict, List, Sequence, cast

from spacy.attrs import NORM, intify_attr
from spacy.util import registry
from thinc.api import HashEmbed, Maxout, Model, NumpyOps, chain, concatenate, list2ragged, ragged2list, with_array
from thinc.types import Floats2d, Ints2d, Ragged

numpy = NumpyOps().xp  # numpy, through thinc

TABLE = "chip_ner_lexicon"  # vocab lookups table; its one entry "words" maps a word to its tag class
MIN_LEN, MAX_LEN = 2, 7
REACH = MAX_LEN - 1  # tokens either side that a token's features read
# jieba's tags, grouped: what a name-finder cares about gets a class of its own.
TAG_CLASSES = {"nt": 1, "nr": 2, "nrfg": 2, "nrt": 3, "ns": 4, "nz": 5, "n": 6, "v": 7, "vn": 7, "m": 8, "i": 9, "l": 9}
OTHER_TAG = 10
NONE, START, END, INSIDE = 1, 2, 3, 4  # feature kinds (0 unused)


def is_cjk(text: str) -> bool:
    return len(text) == 1 and "\u4e00" <= text <= "\u9fff"


def word_feature(kind: int, tag: int, length: int = 0) -> int:
    return kind * 1000 + tag * 10 + min(length, 5)


def lexicon_columns(norms: Sequence[str], words: Dict[str, int]) -> numpy.ndarray:
    """(n, 3) uint64 feature ids per token: longest word starting here, longest word ending here,
    the word a token sits inside (NONE where there is none)."""
    n = len(norms)
    columns = numpy.full((n, 3), NONE, dtype="uint64")
    longest_end = [0] * n
    for i in range(n):
        if not is_cjk(norms[i]):
            continue
        text = norms[i]
        for j in range(i + 1, min(n, i + MAX_LEN)):
            if not is_cjk(norms[j]):
                break
            text += norms[j]
            tag = words.get(text)
            if tag is None:
                continue
            length = j - i + 1
            columns[i, 0] = word_feature(START, tag, length)  # j grows, so the longest word wins
            if length > longest_end[j]:
                longest_end[j] = length
                columns[j, 1] = word_feature(END, tag, length)
            columns[i + 1:j, 2] = word_feature(INSIDE, tag)
    return columns


def doc_words(doc) -> Dict[str, int]:
    """The dictionary saved with the pipeline's vocab (none: every feature is NONE)."""
    lookups = doc.vocab.lookups
    return lookups.get_table(TABLE)["words"] if lookups.has_table(TABLE) else {}


def lexicon_features(attrs: List[int]) -> Model:
    """Like spaCy's extract_features (the attribute columns by `to_array`, for a Doc or a piece of
    one), plus the three dictionary columns, looked up on the NORM column (read once)."""
    columns = list(attrs) if NORM in attrs else list(attrs) + [NORM]
    norm_column = columns.index(NORM)

    def forward(model, docs, is_train):
        xp = model.ops.xp
        out = []
        for doc in docs:
            whole = doc.doc  # a Doc is its own `.doc`; a piece names the Doc it is cut from
            table = doc.to_array(columns).astype("uint64").reshape((len(doc), len(columns)))
            arr = table[:, :len(attrs)]
            strings = whole.vocab.strings
            norms = [strings[int(key)] for key in table[:, norm_column]]
            cols = lexicon_columns(norms, doc_words(whole))
            out.append(xp.asarray(numpy.hstack([arr, cols]), dtype="uint64"))
        return out, lambda d_features: []

    return Model("lexicon_features", forward, attrs={"attrs": attrs, "reach": REACH})


@registry.architectures("chip_ner.LexiconHashEmbed.v1")
def LexiconHashEmbed(width: int, attrs: List[str], rows: List[int], lexicon_rows: int) -> Model[List, List[Floats2d]]:
    """MultiHashEmbed (without static vectors) over `attrs` and the three dictionary columns."""
    if len(rows) != len(attrs):
        raise ValueError(f"Mismatched lengths: {len(rows)} rows for {len(attrs)} attrs")
    all_rows = list(rows) + [lexicon_rows] * 3
    embeddings = [HashEmbed(width, n, column=i, seed=8 + i, dropout=0.0) for i, n in enumerate(all_rows)]
    return chain(
        lexicon_features([intify_attr(a) for a in attrs]),
        cast(Model[List[Ints2d], Ragged], list2ragged()),
        with_array(concatenate(*embeddings)),
        with_array(Maxout(width, width * len(embeddings), nP=3, dropout=0.0, normalize=True)),
        ragged2list(),
    )
