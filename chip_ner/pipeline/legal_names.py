"""Extend a predicted COMPANY to the legal name written right after it (corpus/GUIDELINES.md J28, J29).

The gold keeps a registered name whole: `沐曦集成电路（上海）股份有限公司`, `华泰联合证券有限责任公司`.
Such names are rare in the training paragraphs, so the NER often stops at the part it knows
(`沐曦集成电路`, `华泰`) and leaves the rest of the legal name outside. `chip_ner_legal_names` runs
after every component that sets entities and extends a COMPANY entity when what follows it is the
rest of a legal name: a few Chinese characters (the business words, `供应链管理`, `液冷科技`), an
optional bracketed place (`（上海）`), then the legal form (`股份有限公司`, `有限责任公司`). It does not
extend across a function word or another `公司` (`控股子公司上海润六尺科技有限公司` names two
companies), past another entity, or a span that already ends in `公司`, and records every extension
in `doc.user_data["chip_ner_extended"]`. Self-contained (spaCy only), so `spacy package --code` can
ship it.
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


def rest_of_legal_name(text: str, end: int) -> Optional[int]:
    """Where the legal name that continues at `end` ends, or None if none continues there."""
    match = REST_OF_LEGAL_NAME.match(text, end)
    if match is None:
        return None
    between = text[end:match.end()][:-2]  # all but the final 公司
    if NOT_IN_A_NAME & set(between) or "公司" in between:
        return None
    return match.end()


class LegalNames:
    def __init__(self, nlp: Language, name: str = "chip_ner_legal_names"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        ents = list(doc.ents)
        extended = []
        for i, ent in enumerate(ents):
            if ent.label_ != "COMPANY" or ent.text.endswith("公司"):
                continue
            end = rest_of_legal_name(text, ent.end_char)
            next_start = ents[i + 1].start_char if i + 1 < len(ents) else len(text)
            if end is None or end > next_start:
                continue
            span = doc.char_span(ent.start_char, end, label=ent.label, kb_id=ent.kb_id, span_id=ent.id)
            if span is None:  # the legal name ends inside a token: keep the entity as predicted, say so
                doc.user_data.setdefault("chip_ner_misaligned", []).append(
                    (ent.start_char, end, ent.label_, "chip_ner_legal_names: the legal name ends inside a token"))
                continue
            ents[i] = span
            extended.append((ent.start_char, ent.end_char, ent.label_, (span.start_char, span.end_char)))
        if extended:
            doc.ents = ents
            doc.user_data.setdefault("chip_ner_extended", []).extend(extended)
        return doc


def make_legal_names(nlp: Language, name: str) -> LegalNames:
    return LegalNames(nlp, name)


# The project's file and the wheel's copy of it may both be imported in one process (spaCy
# raises E004 for a second, different function under one name); they are the same code.
if not Language.has_factory("chip_ner_legal_names"):
    Language.factory("chip_ner_legal_names", func=make_legal_names)
