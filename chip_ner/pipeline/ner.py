"""spaCy's entity recognizer, run on pieces of a long Doc.

Why: the transition-based NER precomputes its hidden layer for every token of a Doc at once
(tokens x 3 features x 64 x 2 floats: 1.2 GB for a 1,000,000-character Doc). A Doc longer than
`max_tokens` is cut into pieces that overlap by `context` tokens: each piece is a small Doc with
the tokens' vectors and the entities already set (by the entity_ruler and the PERSON cues), and
a piece keeps the entities that start in its own part. The greedy decoder sees only the tokens
at and just before its position, so once a piece has run past a token outside any entity it
makes the decisions the whole Doc would (`tests/test_long_docs.py` checks this on long Docs).
The one limit: an entity longer than `context` tokens (64; no name or amount is) could be cut
at a piece's end.
Training is spaCy's own. Self-contained (spaCy only), so `spacy package --code` can ship it.
"""
from __future__ import annotations

from typing import Callable, Iterable, Optional

from spacy.attrs import ENT_ID, ENT_IOB, ENT_KB_ID, ENT_TYPE
from spacy.language import Language
from spacy.pipeline.ner import DEFAULT_NER_MODEL, EntityRecognizer
from spacy.tokens import Doc, Span
from spacy.util import filter_spans, minibatch
from thinc.api import Model

ENT_ATTRS = [ENT_IOB, ENT_TYPE, ENT_KB_ID, ENT_ID]


class ChunkedEntityRecognizer(EntityRecognizer):
    max_tokens: int = 4000
    context: int = 64

    def __call__(self, doc: Doc) -> Doc:
        if len(doc) <= self.max_tokens:
            return super().__call__(doc)
        return self.in_pieces(doc)

    def pipe(self, docs: Iterable[Doc], *, batch_size: int = 256) -> Iterable[Doc]:
        error_handler = self.get_error_handler()
        for batch in minibatch(docs, size=batch_size):
            batch = list(batch)
            try:
                short = sorted((doc for doc in batch if len(doc) <= self.max_tokens), key=len)  # as spaCy does
                for group in self.token_groups(short):
                    self.set_annotations(group, self.predict(group))
                for doc in batch:
                    if len(doc) > self.max_tokens:
                        self.in_pieces(doc)
                yield from batch
            except Exception as e:
                error_handler(self.name, self, batch, e)

    def token_groups(self, docs: list[Doc]) -> Iterable[list[Doc]]:
        """Short Docs in groups of at most `max_tokens` tokens. Why: a model
        with its own tok2vec (person_ner) runs it on one array per group, and thinc's cost per
        token grows with the array: measured on the corpus, the tok2vec of person_ner took 6.2 s
        for 805 paragraphs in one group and 3.8 s in groups of 40 (about 4,000 tokens)."""
        group: list[Doc] = []
        size = 0
        for doc in docs:
            if group and size + len(doc) > self.max_tokens:
                yield group
                group, size = [], 0
            group.append(doc)
            size += len(doc)
        if group:
            yield group

    def windows(self, doc: Doc) -> Iterable[tuple[int, int, int, int]]:
        """(lo, hi, keep_from, keep_to): run tokens lo:hi, keep entities starting in keep_from:keep_to.
        No cut falls inside an entity already set."""
        inside = bytearray(len(doc) + 1)  # 1 where a cut before token i would split an entity
        for ent in doc.ents:
            inside[ent.start + 1:ent.end] = b"\x01" * (len(ent) - 1)
        step = max(1, self.max_tokens - 2 * self.context)
        for keep_from in range(0, len(doc), step):
            keep_to = min(len(doc), keep_from + step)
            lo, hi = max(0, keep_from - self.context), min(len(doc), keep_to + self.context)
            while lo > 0 and inside[lo]:
                lo -= 1
            while hi < len(doc) and inside[hi]:
                hi += 1
            yield lo, hi, keep_from, keep_to

    def in_pieces(self, doc: Doc) -> Doc:
        preset = doc.to_array(ENT_ATTRS)
        found: list[Span] = []
        for lo, hi, keep_from, keep_to in self.windows(doc):
            piece = Doc(doc.vocab, words=[t.text for t in doc[lo:hi]], spaces=[bool(t.whitespace_) for t in doc[lo:hi]])
            piece.from_array(ENT_ATTRS, preset[lo:hi])
            piece.tensor = doc.tensor[lo:hi]
            super().__call__(piece)
            found.extend(Span(doc, lo + ent.start, lo + ent.end, label=ent.label, kb_id=ent.kb_id, span_id=ent.id)
                         for ent in piece.ents if keep_from <= lo + ent.start < keep_to)
        doc.ents = sorted(filter_spans(found), key=lambda span: span.start)
        return doc


def make_chunked_ner(nlp: Language, name: str, model: Model, moves, update_with_oracle_cut_size: int,
                     incorrect_spans_key: Optional[str], scorer: Optional[Callable], max_tokens: int,
                     context: int) -> ChunkedEntityRecognizer:
    ner = ChunkedEntityRecognizer(nlp.vocab, model, name=name, moves=moves,
                                  update_with_oracle_cut_size=update_with_oracle_cut_size,
                                  incorrect_spans_key=incorrect_spans_key, scorer=scorer)
    ner.max_tokens, ner.context = max_tokens, context
    return ner


# The project's file and the wheel's copy of it may both be imported in one process (spaCy
# raises E004 for a second, different function under one name); they are the same code.
if not Language.has_factory("chip_ner_ner"):
    Language.factory(
        "chip_ner_ner", func=make_chunked_ner, assigns=["doc.ents", "token.ent_iob", "token.ent_type"],
        default_config={"moves": None, "update_with_oracle_cut_size": 100, "model": DEFAULT_NER_MODEL,
                        "incorrect_spans_key": None, "scorer": {"@scorers": "spacy.ner_scorer.v1"},
                        "max_tokens": 4000, "context": 64},
        default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None})
