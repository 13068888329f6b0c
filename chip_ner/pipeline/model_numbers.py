"""Extend a predicted CHIP to the model number written right after it (corpus/GUIDELINES.md J32).

A chip brand and its model number are one CHIP (`天玑9500`, `玄铁C930`, `天鷹K-1`, `邃思1.0`,
`Azure Cobalt 100`, `酷睿Ultra 200V`). The NER often knows the brand but stops before a number it has
never seen (`天玑` + `9500`), so `chip_ner_model_numbers` runs after every component that sets
entities and extends a CHIP entity over a model number that follows it:

- glued to a Chinese brand (`天玑9500s`, `曜衡NX-700`): up to 4 letters, an optional hyphen, digits,
  up to 2 letters, and one more `.`/`-` group (`1.0`, `K-1`);
- after one space (`Cobalt 100`, `Veyron V2`, `TPU v5e`, `天璣 9400`): a number, a `v` generation
  or 1-3 capitals with digits.

It leaves alone what the guidelines keep outside a chip: number formats (`FP16`, `INT8`), a rack or
system (`NVL72`), memory and interconnect standards (`HBM3E`, `PCIe5`), a year (`Computex 2024`), a count or quantity (a number right before a counter or
unit: `B200 72颗`, `昇腾910 8卡`), and it never runs into a letter or digit that continues the word (`昇腾0day`), nor over another entity; a CHIP entity that is
exactly the model number is merged in (`玄铁` + `C930` -> `玄铁C930`). Only CHIP entities are
extended: a COMPANY before a model number is the vendor, split off by J32 (`鋒芯` + `FX-7`). Every
extension is recorded in `doc.user_data["chip_ner_model_numbers"]`. Self-contained (spaCy only), so
`spacy package --code` can ship it.
"""
from __future__ import annotations

import re
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc, Span

GLUED = re.compile(r"[A-Za-z]{0,4}-?\d+[A-Za-z]{0,2}(?:[.\-]\d+[A-Za-z]{0,2})?(?![A-Za-z0-9])")
SPACED = re.compile(r" (?:[vV]?\d+(?:\.\d+)?[A-Za-z]{0,2}|[A-Z]{1,3}\d+[A-Za-z]{0,2})(?![A-Za-z0-9.\-])")
# Number formats, racks, memory and interconnect standards (not CHIP in the guidelines), and years.
NOT_A_MODEL = re.compile(r"^(?:FP|INT|UINT|BF|TF|NVL|HBM|G?DDR|LPDDR|PCIE)\d|^(?:19|20)\d\d$", re.IGNORECASE)
# A number right before one of these counts or measures something: it is not part of a name.
COUNTER_OR_UNIT = set("张張颗顆片个個台块塊卡倍万萬亿億元年月日号號%％纳奈核位")


def is_han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff"


def model_number_end(text: str, end: int) -> Optional[int]:
    """Where the model number written right after a chip name ending at `end` ends, or None."""
    if end == 0 or end >= len(text):
        return None
    last = text[end - 1]
    match = None
    if is_han(last):
        match = GLUED.match(text, end) or SPACED.match(text, end)
    elif last.isascii() and last.isalnum():
        match = SPACED.match(text, end)
    if match is None or NOT_A_MODEL.search(match.group().strip()) or counts_something(text, match.end()):
        return None
    return match.end()


def counts_something(text: str, end: int) -> bool:
    """Whether the number that ends at `end` is followed (after spaces) by a counter or unit."""
    rest = text[end:end + 4].lstrip(" ")
    return bool(rest) and rest[0] in COUNTER_OR_UNIT


def is_the_number(ent: Span, start: int, end: int) -> bool:
    """Whether `ent` is a CHIP entity that is exactly the model number (`玄铁` + `C930` both CHIP):
    the two are one chip name, merged."""
    return ent.label_ == "CHIP" and (ent.start_char, ent.end_char) == (start, end)


class ModelNumbers:
    def __init__(self, nlp: Language, name: str = "chip_ner_model_numbers"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        ents = list(doc.ents)
        extended, merged = [], set()
        for i, ent in enumerate(ents):
            if ent.label_ != "CHIP" or i in merged:
                continue
            end = model_number_end(text, ent.end_char)
            following = ents[i + 1] if i + 1 < len(ents) else None
            if end is None or (following is not None and end > following.start_char
                               and not is_the_number(following, ent.end_char, end)):
                continue
            span = doc.char_span(ent.start_char, end, label=ent.label, kb_id=ent.kb_id, span_id=ent.id)
            if span is None:  # the number ends inside a token: keep the entity as predicted, say so
                doc.user_data.setdefault("chip_ner_misaligned", []).append(
                    (ent.start_char, end, ent.label_, "chip_ner_model_numbers: the model number ends inside a token"))
                continue
            ents[i] = span
            extended.append((ent.start_char, ent.end_char, ent.label_, (span.start_char, span.end_char)))
            if following is not None and following.start_char < end:
                merged.add(i + 1)
        if extended:
            doc.ents = [ent for i, ent in enumerate(ents) if i not in merged]
            doc.user_data.setdefault("chip_ner_model_numbers", []).extend(extended)
        return doc


def make_model_numbers(nlp: Language, name: str) -> ModelNumbers:
    return ModelNumbers(nlp, name)


# The project's file and the wheel's copy of it may both be imported in one process (spaCy
# raises E004 for a second, different function under one name); they are the same code.
if not Language.has_factory("chip_ner_model_numbers"):
    Language.factory("chip_ner_model_numbers", func=make_model_numbers)
