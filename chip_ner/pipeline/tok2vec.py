"""spaCy's tok2vec, run on pieces of at most `max_tokens` tokens.

Why: thinc runs the tok2vec on one array for the whole batch, and its cost per token grows with
the array (measured here: 14 us/token up to 4,000 tokens, 22 us at 16,000, 35 us at 80,000),
and so does its memory (a 1,000,000-character Doc needs several GB). The encoder is a stack of
window layers, so a token's vector depends only on the `context` tokens either side of it
(the sum of the window sizes): a long Doc cut into windows that overlap by `context` tokens
gives the same vectors as the whole Doc, and short Docs are grouped up to `max_tokens`. Time
becomes linear in the Doc's length and memory proportional to it. Training (`update`) is
spaCy's own. Self-contained (spaCy and thinc only), so `spacy package --code` can ship it.
"""
from __future__ import annotations

from typing import Iterable, Optional

from spacy.language import Language
from spacy.pipeline.tok2vec import DEFAULT_TOK2VEC_MODEL, Tok2Vec
from spacy.tokens import Doc
from thinc.api import Model

# Layers that mix tokens but are not window layers (with one of them, pieces would not give the
# vectors of the whole Doc), and embeddings that read more of a Doc than `to_array`: with any of
# them, Docs are run whole, as spaCy does.
UNSUPPORTED = ("lstm", "transformer", "attention", "static_vectors", "charembed")
# Feature layers that read a Doc through `to_array` (and so read a piece of one as well): spaCy's, and
# the dictionary features of lexicon.py, which also read `reach` tokens either side.
FEATURES = {"extract_features", "lexicon_features"}


def receptive_field(model: Model) -> Optional[int]:
    """Tokens either side that reach a token's vector: the sum of the window sizes and of the
    feature layers' own reach, or None when some layer's reach is unknown."""
    names = [node.name.lower() for node in model.walk()]
    if any(word in name for name in names for word in UNSUPPORTED) or not FEATURES.intersection(names):
        return None
    windows = sum(int(node.attrs.get("window_size", 0)) for node in model.walk() if node.name == "expand_window")
    return windows + sum(int(node.attrs.get("reach", 0)) for node in model.walk() if node.name in FEATURES)


class Piece:
    """Tokens `start:end` of a Doc, as the feature extractor sees them: `to_array` slices the
    Doc's attribute array, computed once per Doc (Span.to_array takes no attribute names, and
    Span.as_doc copies the whole Doc's arrays each time)."""

    def __init__(self, doc: Doc, start: int, end: int, arrays: dict):
        self.doc, self.start, self.end, self.arrays = doc, start, end, arrays

    def __len__(self) -> int:
        return self.end - self.start

    def to_array(self, columns):
        key = tuple(columns)
        if key not in self.arrays:
            self.arrays[key] = self.doc.to_array(list(columns))
        return self.arrays[key][self.start:self.end]


class ChunkedTok2Vec(Tok2Vec):
    def __init__(self, vocab, model: Model, name: str = "tok2vec", *, max_tokens: int = 4000):
        super().__init__(vocab, model, name)
        self.max_tokens = max_tokens

    @property
    def context(self) -> Optional[int]:
        """The model's reach, walked once (not on every batch): loading weights keeps the layers."""
        if not hasattr(self, "_context"):
            self._context = receptive_field(self.model)
        return self._context

    def pieces(self, docs: list[Doc], context: int) -> Iterable[tuple[int, object, int, int]]:
        """(doc index, Doc or Span to run, first and last row of its output to keep)."""
        step = self.max_tokens - 2 * context
        for i, doc in enumerate(docs):
            if len(doc) <= self.max_tokens or step <= 0:
                yield i, doc, 0, len(doc)
                continue
            arrays: dict = {}
            for start in range(0, len(doc), step):
                end = min(len(doc), start + step)
                lo, hi = max(0, start - context), min(len(doc), end + context)
                yield i, Piece(doc, lo, hi, arrays), start - lo, end - lo

    def predict(self, docs: Iterable[Doc]):
        docs = list(docs)
        context = self.context
        if context is None or not any(len(doc) for doc in docs):
            return super().predict(docs)
        rows: list[list] = [[] for _ in docs]
        batch: list[tuple[int, object, int, int]] = []
        size = 0
        for piece in self.pieces(docs, context):
            if batch and size + len(piece[1]) > self.max_tokens:
                self._run(batch, rows)
                batch, size = [], 0
            batch.append(piece)
            size += len(piece[1])
        if batch:
            self._run(batch, rows)
        ops = self.model.ops
        return [parts[0] if len(parts) == 1 else ops.xp.vstack(parts) for parts in rows]

    def _run(self, batch: list[tuple[int, object, int, int]], rows: list[list]) -> None:
        for (i, _, keep_from, keep_to), vectors in zip(batch, self.model.predict([piece for _, piece, _, _ in batch])):
            rows[i].append(vectors[keep_from:keep_to])


def make_chunked_tok2vec(nlp: Language, name: str, model: Model, max_tokens: int) -> ChunkedTok2Vec:
    return ChunkedTok2Vec(nlp.vocab, model, name, max_tokens=max_tokens)


# The project's file and the wheel's copy of it may both be imported in one process (spaCy
# raises E004 for a second, different function under one name); they are the same code.
if not Language.has_factory("chip_ner_tok2vec"):
    Language.factory("chip_ner_tok2vec", func=make_chunked_tok2vec,
                     default_config={"model": DEFAULT_TOK2VEC_MODEL, "max_tokens": 4000})
