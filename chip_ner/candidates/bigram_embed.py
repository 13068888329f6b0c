"""Character-bigram features for a character-tokenized NER (issue 10, a candidate lever).

`chip_ner.BigramHashEmbed.v1` is spaCy's MultiHashEmbed plus two hashed columns per token: the
NORM bigram with the token before and with the token after (a Chinese name is mostly 2-3
characters; bigrams are the classic feature of character-level Chinese NER). NORM must be the
first attribute. Self-contained (spaCy and thinc only). Not shipped: see chip_ner/candidates/__init__.py.
"""
from __future__ import annotations

from typing import List, cast

from spacy.attrs import intify_attr
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import HashEmbed, Maxout, Model, NumpyOps, chain, concatenate, list2ragged, ragged2list, with_array
from thinc.types import Floats2d, Ints2d, Ragged

numpy = NumpyOps().xp  # numpy, through thinc (the shipped files import spaCy, srsly, thinc and the stdlib only)

MIX = numpy.uint64(0x9E3779B97F4A7C15)
EDGE = numpy.uint64(0x51ED2701)


def bigram_columns(norms: numpy.ndarray) -> numpy.ndarray:
    """(n, 2) uint64: a hash of (previous, this) and of (this, next) NORM ids; EDGE beyond the Doc."""
    prev = numpy.concatenate([numpy.array([EDGE], dtype="uint64"), norms[:-1]])
    nxt = numpy.concatenate([norms[1:], numpy.array([EDGE], dtype="uint64")])
    with numpy.errstate(over="ignore"):
        left = (prev * MIX) ^ norms
        right = (norms * MIX) ^ (nxt + numpy.uint64(1))
    return numpy.stack([left, right], axis=1)


def bigram_features(attrs: List[int]) -> Model[List[Doc], List[Ints2d]]:
    def forward(model, docs, is_train):
        xp = model.ops.xp
        out = []
        for doc in docs:
            arr = doc.to_array(attrs).astype("uint64").reshape((len(doc), len(attrs)))
            cols = bigram_columns(arr[:, 0]) if len(doc) else numpy.zeros((0, 2), dtype="uint64")
            out.append(xp.asarray(numpy.hstack([arr, cols]), dtype="uint64"))
        return out, lambda d_features: []

    return Model("bigram_features", forward, attrs={"attrs": attrs})


@registry.architectures("chip_ner.BigramHashEmbed.v1")
def BigramHashEmbed(width: int, attrs: List[str], rows: List[int], bigram_rows: int) -> Model[List[Doc], List[Floats2d]]:
    ids = [intify_attr(a) for a in attrs]
    if ids[0] != intify_attr("NORM"):
        raise ValueError("chip_ner.BigramHashEmbed.v1: NORM must be the first attribute")
    if len(rows) != len(attrs):
        raise ValueError(f"Mismatched lengths: {len(rows)} vs {len(attrs)}")
    all_rows = list(rows) + [bigram_rows, bigram_rows]
    embeddings = [HashEmbed(width, n, column=i, seed=8 + i, dropout=0.0) for i, n in enumerate(all_rows)]
    return chain(
        bigram_features(ids),
        cast(Model[List[Ints2d], Ragged], list2ragged()),
        with_array(concatenate(*embeddings)),
        with_array(Maxout(width, width * len(embeddings), nP=3, dropout=0.0, normalize=True)),
        ragged2list(),
    )
