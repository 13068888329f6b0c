"""The span rules the gold obeys, guaranteed for every predicted entity.

No entity starts or ends with whitespace, punctuation (full-width included) or a format
character (zero-width joiners, soft hyphens, bidi marks), and entities never overlap. The
statistical NER can still propose `Donald Trump，` or `微（`; `chip_ner_span_rules` runs after
every component that sets entities and trims such edges. An edge character glued inside a
token (the tokenizer glues format characters to the token before them) is split off into a
token of its own, so the trimmed span is exact. A span with nothing left is removed and
recorded in `doc.user_data["chip_ner_trimmed"]` with every trimmed span, never lost silently.
Self-contained (spaCy only), so `spacy package --code` can ship it.
"""
from __future__ import annotations

import bisect
import unicodedata
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc, Span


def is_edge_junk(char: str) -> bool:
    """Whitespace, punctuation, format and control characters, and symbols that are not currency
    or maths (emoji, ®, ™, skin tones, variation selectors: `🍎 苹果` is `苹果`) never start or end
    a span."""
    category = unicodedata.category(char)
    return (char.isspace() or category[0] == "P" or category in ("Cf", "Cc", "So", "Sk")
            or "\ufe00" <= char <= "\ufe0f")


def trimmed(text: str, start: int, end: int) -> Optional[tuple[int, int]]:
    """(start, end) without edge junk, or None if nothing is left."""
    while start < end and is_edge_junk(text[start]):
        start += 1
    while end > start and is_edge_junk(text[end - 1]):
        end -= 1
    return (start, end) if start < end else None


def split_at(doc: Doc, cuts: set[int]) -> Doc:
    """Split the tokens that have a character offset of `cuts` strictly inside them."""
    starts = [token.idx for token in doc]
    inside: dict[int, list[int]] = {}
    for cut in cuts:
        i = bisect.bisect_right(starts, cut) - 1
        if i >= 0 and starts[i] < cut < starts[i] + len(doc[i]):
            inside.setdefault(i, []).append(cut - starts[i])
    with doc.retokenize() as retokenizer:
        for i, offsets in inside.items():
            token = doc[i]
            bounds = [0, *sorted(offsets), len(token.text)]
            orths = [token.text[a:b] for a, b in zip(bounds, bounds[1:])]
            retokenizer.split(token, orths, heads=[(token, 0)] * len(orths))
    return doc


class SpanRules:
    def __init__(self, nlp: Language, name: str = "chip_ner_span_rules"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        changes = []  # (entity, trimmed bounds or None)
        for ent in doc.ents:
            bounds = trimmed(text, ent.start_char, ent.end_char)
            if bounds != (ent.start_char, ent.end_char):
                changes.append((ent, bounds))
        if not changes:
            return doc
        doc.user_data.setdefault("chip_ner_trimmed", []).extend(
            (ent.start_char, ent.end_char, ent.label_, bounds) for ent, bounds in changes)
        if all(bounds is None or doc.char_span(*bounds) is not None for _, bounds in changes):
            return self.retrim(doc, changes)
        return self.split_and_retrim(doc, changes)

    @staticmethod
    def retrim(doc: Doc, changes: list) -> Doc:
        """Only the changed entities' tokens are reset (`default="unmodified"`), so a few trims
        cost what they touch, not a pass over every entity of the Doc."""
        entities, outside = [], []
        for ent, bounds in changes:
            if bounds is None:
                outside.append(doc[ent.start:ent.end])
                continue
            span = doc.char_span(*bounds)
            entities.append(Span(doc, span.start, span.end, label=ent.label, kb_id=ent.kb_id, span_id=ent.id))
            outside.extend(doc[a:b] for a, b in ((ent.start, span.start), (span.end, ent.end)) if a < b)
        doc.set_ents(entities, outside=outside, default="unmodified")
        return doc

    @staticmethod
    def split_and_retrim(doc: Doc, changes: list) -> Doc:
        """An edge inside a token (a glued format character): split the token, then set every
        entity again from its character offsets."""
        changed = {(ent.start_char, ent.end_char): bounds for ent, bounds in changes}
        wanted = [(changed.get((ent.start_char, ent.end_char), (ent.start_char, ent.end_char)), ent.label, ent.kb_id, ent.id)
                  for ent in doc.ents]
        wanted = [w for w in wanted if w[0] is not None]
        doc = split_at(doc, {c for bounds in changed.values() if bounds is not None for c in bounds})
        spans = []
        for (start, end), label, kb_id, span_id in wanted:
            span = doc.char_span(start, end)
            if span is None:  # cannot happen after split_at; never drop an entity silently
                raise ValueError(f"chip_ner_span_rules: [{start}, {end}] {doc.text[start:end]!r} does not align with tokens")
            spans.append(Span(doc, span.start, span.end, label=label, kb_id=kb_id, span_id=span_id))
        doc.ents = spans
        return doc


def make_span_rules(nlp: Language, name: str) -> SpanRules:
    return SpanRules(nlp, name)


# The project's file and the wheel's copy of it may both be imported in one process (spaCy
# raises E004 for a second, different function under one name); they are the same code.
if not Language.has_factory("chip_ner_span_rules"):
    Language.factory("chip_ner_span_rules", func=make_span_rules)
