"""A name written right before a numeric stock code is a COMPANY (`創意（3443）`, `优必选（9880）`).

Financial news names a listed company with its code in brackets, and nothing else takes one: on
the gold, all 85 numeric codes follow a COMPANY. The NER misses the short names of Taiwanese and
mainland listed companies (`欣兴`, `和碩`) or labels them PERSON or CHIP. `chip_ner_tickers` runs after
every component that sets entities: an entity that ends right before a code becomes COMPANY; where
none ends there, the name is the run of characters before the code, from the last punctuation, or
from the last character that ends a description or a phrase (`龍頭`, `廠`, `商`, `的`, `與`; a name is
at least two characters; a run of more than six with no such character is left alone), and is added if it overlaps no entity; a COMPANY that stops a few
characters short of the code is extended to it (`宏築潔淨` + `工程（6981）`). Latin codes (`（NXP）`) are left
alone: they look like the abbreviations that follow terms (`（HBM）`, `（BIS）`). Every change is
recorded in `doc.user_data["chip_ner_tickers"]`. Self-contained (spaCy only), so `spacy package
--code` can ship it.
"""
from __future__ import annotations

import re
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc, Span

NUMERIC_CODE = re.compile(r"[（(]\s*(?:[A-Z]{2,6}\s*[:：]\s*)?\d{4,6}(?:\s*[.．]\s*[A-Z]{1,3})?\s*[)）]")
NAME_CHARS = re.compile(r"[\u4e00-\u9fffA-Za-z0-9\-]")
# Characters that end what comes before a name: a description (`龍頭`, `設備廠`, `晶片商`, `業者`,
# `新秀`, `公司`, `股后`) or a phrase (`的`, `了`, `與`, `到`, `向`).
BEFORE_A_NAME = set("的了在到向與与和及從从自等對对把被由將将為为是廠厂商頭头者秀司后後")
LONGEST_RUN = 10  # characters searched back from the code
LONGEST_UNCUT = 6  # `股價首度超車台積電（2330）`: a long run with no cue is not taken whole
SHORTEST_NAME = 2
MOST_LEFT_OUT = 4  # characters between a COMPANY and its code that still belong to it
RELABELLED = {"PERSON", "CHIP"}


def name_before(text: str, end: int, floor: int) -> Optional[int]:
    """Where the name that ends at `end` starts (not before `floor`), or None if there is none."""
    start = end
    while start > max(floor, end - LONGEST_RUN) and NAME_CHARS.match(text[start - 1]):
        start -= 1
    for i in range(end - 1, start - 1, -1):
        if text[i] in BEFORE_A_NAME:
            if i == end - 1:  # `股份有限公司（688018）`: the name is before the brackets, not here
                return None
            start = min(i + 1, end - SHORTEST_NAME)
            break
    else:
        # no cue where the name starts: only a short run between punctuation is taken whole
        if end - start > LONGEST_UNCUT or (start > floor and NAME_CHARS.match(text[start - 1])):
            return None
    return start if end - start >= SHORTEST_NAME and start >= floor else None


def continues_to(text: str, start: int, end: int) -> bool:
    """Whether the few characters between an entity and the code are the rest of its name
    (`宏築潔淨` + `工程（6981）`)."""
    rest = text[start:end]
    return 0 < len(rest) <= MOST_LEFT_OUT and all(NAME_CHARS.match(c) for c in rest) and not BEFORE_A_NAME & set(rest)


class TickerNames:
    def __init__(self, nlp: Language, name: str = "chip_ner_tickers"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        ents = list(doc.ents)  # in order of position, as spaCy keeps them
        out: list[Span] = []  # the entities before the code in hand, as they will be set
        following = 0  # the next entity of `ents` not yet in `out`: one pass, linear in the Doc
        changes = []
        for match in NUMERIC_CODE.finditer(text):
            end = match.start()
            while end > 0 and text[end - 1].isspace():  # `台積電 (2330)`
                end -= 1
            while following < len(ents) and ents[following].start_char < end:
                out.append(ents[following])
                following += 1
            change = self.name_at(doc, text, out[-1] if out else None, end)
            if change is None:
                continue
            span, old_label = change
            if old_label is None:
                changes.append((span.start_char, span.end_char, None, "COMPANY"))
                out.append(span)
            else:
                changes.append((out[-1].start_char, out[-1].end_char, old_label, "COMPANY"))
                out[-1] = span
        if changes:
            doc.ents = out + ents[following:]
            doc.user_data.setdefault("chip_ner_tickers", []).extend(changes)
        return doc

    @staticmethod
    def name_at(doc: Doc, text: str, last: Optional[Span], end: int) -> Optional[tuple[Span, Optional[str]]]:
        """The COMPANY that ends at a code at `end`, given the last entity that starts before it:
        (the span, the label it replaces or None for a new one), or None for no change. `text` is
        doc.text, passed in: building it per code would make the component quadratic."""
        if last is not None and last.end_char == end:
            if last.label_ not in RELABELLED:
                return None
            return Span(doc, last.start, last.end, label="COMPANY", kb_id=last.kb_id, span_id=last.id), last.label_
        if last is not None and last.end_char > end:
            return None  # an entity runs into the code: not this component's to cut
        if last is not None and last.label_ == "COMPANY" and continues_to(text, last.end_char, end):
            span = doc.char_span(last.start_char, end, label="COMPANY", kb_id=last.kb_id, span_id=last.id)
            return (span, "COMPANY") if span is not None else None
        start = name_before(text, end, last.end_char if last is not None else 0)
        span = doc.char_span(start, end, label="COMPANY") if start is not None else None
        return (span, None) if span is not None else None


def make_ticker_names(nlp: Language, name: str) -> TickerNames:
    return TickerNames(nlp, name)


if not Language.has_factory("chip_ner_tickers"):
    Language.factory("chip_ner_tickers", func=make_ticker_names)
