"""chip_ner.BigramHashEmbed.v1: MultiHashEmbed plus hashed NORM bigrams with each neighbour."""
import numpy
import pytest
import spacy
from spacy.util import registry

from chip_ner.candidates import bigram_embed  # noqa: F401  (registers the architecture)
from chip_ner.pipeline import tokenizer  # noqa: F401  (registers the tokenizer)
from chip_ner.candidates.bigram_embed import bigram_columns

NLP = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "chip_ner.CharLatinTokenizer.v1"}}})


def test_a_bigram_depends_on_the_neighbour_and_not_on_the_rest():
    a = bigram_columns(numpy.array([1, 2, 3], dtype="uint64"))
    b = bigram_columns(numpy.array([9, 2, 3], dtype="uint64"))
    assert a.shape == (3, 2)
    assert a[0, 0] != b[0, 0] and a[1, 0] != b[1, 0]  # (prev, this) changes with the previous token
    assert (a[1:, 1] == b[1:, 1]).all() and (a[2] == b[2]).all()  # the rest does not


def test_the_architecture_embeds_every_token():
    model = registry.get("architectures", "chip_ner.BigramHashEmbed.v1")(
        width=8, attrs=["NORM", "SHAPE"], rows=[50, 50], bigram_rows=50)
    docs = [NLP("黄仁勋说"), NLP("")]
    model.initialize(X=docs)
    out = model.predict(docs)
    assert [o.shape for o in out] == [(4, 8), (0, 8)]


def test_norm_must_come_first():
    with pytest.raises(ValueError, match="NORM must be the first"):
        registry.get("architectures", "chip_ner.BigramHashEmbed.v1")(width=8, attrs=["SHAPE", "NORM"], rows=[5, 5],
                                                                       bigram_rows=5)
