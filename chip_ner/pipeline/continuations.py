"""Extend a predicted entity over the rest of its name written right after it.

The NER often stops at the part of a name it knows and leaves outside what it has never seen. Two
components run after every component that sets entities and extend such entities, one rule each:

**`chip_ner_legal_names`: a COMPANY takes the legal name after it** (corpus/GUIDELINES.md J28, J29).
The gold keeps a registered name whole: `沐曦集成电路（上海）股份有限公司`, `华泰联合证券有限责任公司`;
the NER stops at `沐曦集成电路`, `华泰`. What follows must be the rest of a legal name: a few Chinese
characters (the business words, `供应链管理`, `液冷科技`), an optional bracketed place (`（上海）`),
then the legal form (`股份有限公司`, `有限责任公司`). It does not extend across a function word or
another `公司` (`控股子公司上海润六尺科技有限公司` names two companies), or a span that already ends in
`公司`. Extensions are recorded in `doc.user_data["chip_ner_extended"]`.

**`chip_ner_model_numbers`: a CHIP takes the model number after it** (J32). A chip brand and its
model number are one CHIP (`天玑9500`, `玄铁C930`, `天鷹K-1`, `邃思1.0`, `Azure Cobalt 100`,
`酷睿Ultra 200V`); the NER stops at `天玑`. A model number is
- glued to a Chinese brand (`天玑9500s`, `曜衡NX-700`): up to 4 letters, an optional hyphen, digits,
  up to 2 letters, and one more `.`/`-` group (`1.0`, `K-1`);
- or after one space (`Cobalt 100`, `Veyron V2`, `TPU v5e`, `天璣 9400`): a number, a `v` generation
  or 1-3 capitals with digits.
It leaves alone what the guidelines keep outside a chip: number formats (`FP16`, `INT8`), a rack or
system (`NVL72`), memory and interconnect standards (`HBM3E`, `PCIe5`), a year (`Computex 2024`), a
count or quantity (a number right before a counter or unit: `B200 72颗`, `昇腾910 8卡`), and it never
runs into a letter or digit that continues the word (`昇腾0day`). A CHIP entity that is exactly the
model number is merged in (`玄铁` + `C930` -> `玄铁C930`). Only CHIP entities are extended: a COMPANY
before a model number is the vendor, split off by J32 (`鋒芯` + `FX-7`). Extensions are recorded in
`doc.user_data["chip_ner_model_numbers"]`.

Neither extends over another entity, and an extension that would end inside a token keeps the
entity as predicted and is recorded in `doc.user_data["chip_ner_misaligned"]`. Self-contained
(spaCy only), so `spacy package --code` can ship it.
"""
from __future__ import annotations

import re
from typing import Optional

from spacy.language import Language
from spacy.tokens import Doc, Span

LEGAL_FORM = r"(?:股份)?有限(?:责任|責任)?公司"
REST_OF_LEGAL_NAME = re.compile(rf"[\u4e00-\u9fff]{{0,10}}?(?:[（(][\u4e00-\u9fff]{{1,6}}[）)])?{LEGAL_FORM}")
# Characters that end a name in running text: particles, conjunctions, prepositions and the verbs of
# a deal (`杭州芯衡微电子股份有限公司起诉深圳岚核科技有限公司` names two companies).
NOT_IN_A_NAME = set("的与和及、在是为為對对向从從與將将被由以于於等起诉訴领領投收购購并併")

GLUED = re.compile(r"[A-Za-z]{0,4}-?\d+[A-Za-z]{0,2}(?:[.\-]\d+[A-Za-z]{0,2})?(?![A-Za-z0-9])")
SPACED = re.compile(r" (?:[vV]?\d+(?:\.\d+)?[A-Za-z]{0,2}|[A-Z]{1,3}\d+[A-Za-z]{0,2})(?![A-Za-z0-9.\-])")
# Number formats, racks, memory and interconnect standards (not CHIP in the guidelines), and years.
NOT_A_MODEL = re.compile(r"^(?:FP|INT|UINT|BF|TF|NVL|HBM|G?DDR|LPDDR|PCIE)\d|^(?:19|20)\d\d$", re.IGNORECASE)
# A number right before one of these counts or measures something: it is not part of a name.
COUNTER_OR_UNIT = set("张張颗顆片个個台块塊卡倍万萬亿億元年月日号號%％纳奈核位")


def rest_of_legal_name(text: str, end: int) -> Optional[int]:
    """Where the legal name that continues at `end` ends, or None if none continues there."""
    match = REST_OF_LEGAL_NAME.match(text, end)
    if match is None:
        return None
    between = text[end:match.end()][:-2]  # all but the final 公司
    if NOT_IN_A_NAME & set(between) or "公司" in between:
        return None
    return match.end()


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


class Continuation:
    """Extends each entity of `label` to `rest_end(text, entity end)`, never over another entity
    unless `absorbs` says that entity is the very continuation (then the two become one)."""
    label = ""
    record_key = ""

    def __init__(self, nlp: Language, name: str):
        self.name = name

    def rest_end(self, text: str, ent: Span) -> Optional[int]:
        raise NotImplementedError

    def absorbs(self, following: Span, start: int, end: int) -> bool:
        return False

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        ents = list(doc.ents)
        extended, absorbed = [], set()
        for i, ent in enumerate(ents):
            if ent.label_ != self.label or i in absorbed:
                continue
            end = self.rest_end(text, ent)
            following = ents[i + 1] if i + 1 < len(ents) else None
            if end is None or (following is not None and end > following.start_char
                               and not self.absorbs(following, ent.end_char, end)):
                continue
            span = doc.char_span(ent.start_char, end, label=ent.label, kb_id=ent.kb_id, span_id=ent.id)
            if span is None:  # the name ends inside a token: keep the entity as predicted, say so
                doc.user_data.setdefault("chip_ner_misaligned", []).append(
                    (ent.start_char, end, ent.label_, f"{self.name}: the rest of the name ends inside a token"))
                continue
            ents[i] = span
            extended.append((ent.start_char, ent.end_char, ent.label_, (span.start_char, span.end_char)))
            if following is not None and following.start_char < end:
                absorbed.add(i + 1)
        if extended:
            doc.ents = [ent for i, ent in enumerate(ents) if i not in absorbed]
            doc.user_data.setdefault(self.record_key, []).extend(extended)
        return doc


class LegalNames(Continuation):
    label = "COMPANY"
    record_key = "chip_ner_extended"

    def rest_end(self, text: str, ent: Span) -> Optional[int]:
        return None if ent.text.endswith("公司") else rest_of_legal_name(text, ent.end_char)


class ModelNumbers(Continuation):
    label = "CHIP"
    record_key = "chip_ner_model_numbers"

    def rest_end(self, text: str, ent: Span) -> Optional[int]:
        return model_number_end(text, ent.end_char)

    def absorbs(self, following: Span, start: int, end: int) -> bool:
        """A CHIP entity that is exactly the model number (`玄铁` + `C930` both CHIP) is one chip name."""
        return following.label_ == "CHIP" and (following.start_char, following.end_char) == (start, end)


def make_legal_names(nlp: Language, name: str) -> LegalNames:
    return LegalNames(nlp, name)


def make_model_numbers(nlp: Language, name: str) -> ModelNumbers:
    return ModelNumbers(nlp, name)


# The project's file and the wheel's copy of it may both be imported in one process (spaCy
# raises E004 for a second, different function under one name); they are the same code.
if not Language.has_factory("chip_ner_legal_names"):
    Language.factory("chip_ner_legal_names", func=make_legal_names)
if not Language.has_factory("chip_ner_model_numbers"):
    Language.factory("chip_ner_model_numbers", func=make_model_numbers)
