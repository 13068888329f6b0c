"""MONEY matcher: amounts with a currency, in Arabic or Chinese numerals, as the guidelines define.

Approximators (约, 逾, 超, 高达, 近, 左右 …) are simply not part of the grammar, so they stay
outside the span; amounts without a currency (8192块, 25%, 100 petaOps) never match.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans, registry

ARABIC = r"\d+(?:,\d{3})*(?:\.\d+)?"
CHINESE = r"[零〇一二两兩三四五六七八九十百千]+(?:[点點][零一二三四五六七八九]+)?"
VAGUE = r"[数數几幾][十百千]?"  # 數十億美元: a vague amount is still money
NUMBER = rf"(?:{ARABIC}|{CHINESE}|{VAGUE})(?:多|余|餘)?"
MAGNITUDE = r"(?:万亿|萬億|[十百千]?[万萬亿億]|[百千])?"
AMOUNT = rf"{NUMBER}\s?{MAGNITUDE}"
CURRENCY_AFTER = (r"(?:美元|美分|欧元|歐元|日元|日圓|港元|港币|港幣|新台币|新台幣|台币|台幣|"
                  r"人民币|人民幣|英镑|英鎊|卢布|盧布|韩元|韓元|元)")
CURRENCY_BEFORE = r"(?:人民币|人民幣|新台币|新台幣|港币|港幣|US\$|HK\$|NT\$|\$|¥|￥|€|£)"
RANGE = r"\s?(?:至|到|-|–|~|～|—|甚至|或)\s?"
# A trailing 人民幣 after 元 (20億元人民幣) belongs to the amount.
MONEY = re.compile(
    rf"(?<![\d.])(?:{CURRENCY_BEFORE}\s?)?{AMOUNT}(?:\s?{CURRENCY_AFTER})?(?:{RANGE}{AMOUNT})?"
    rf"\s?{CURRENCY_AFTER}(?:人民币|人民幣)?"
    rf"|(?<![\d.]){CURRENCY_BEFORE}\s?{AMOUNT}(?:{RANGE}{AMOUNT})?(?:\s?(?:billion|million|bn|m)\b)?"
)
# `元` preceded by these is not a currency: 二元 (binary), 多元 (diverse), 单元, 纪元, 公元.
NOT_CURRENCY_YUAN = re.compile(r"(?:[二多单單纪紀公]元)$")


def find_money(text: str) -> list[tuple[int, int]]:
    """(start, end) code-point offsets of every MONEY amount in `text`."""
    spans = []
    for match in MONEY.finditer(text):
        start, end = match.span()
        surface = match.group()
        if NOT_CURRENCY_YUAN.search(surface) and not re.search(r"\d", surface):
            continue
        spans.append((start, end))
    return spans


@registry.misc("chip_ner.money_matcher.v1")
def make_money_matcher() -> Callable[[str], list[tuple[int, int]]]:
    """The matcher as a registered function, so configs can reference and swap it."""
    return find_money


@Language.factory(
    "chip_ner_money",
    default_config={"matcher": {"@misc": "chip_ner.money_matcher.v1"}, "overwrite": False, "authoritative": False},
)
def make_money_component(nlp: Language, name: str, matcher: Callable[[str], list[tuple[int, int]]],
                         overwrite: bool, authoritative: bool) -> "MoneyComponent":
    return MoneyComponent(matcher, overwrite, authoritative)


class MoneyComponent:
    """Adds MONEY entities; a match that does not align with tokens is kept in
    `doc.user_data["chip_ner_misaligned"]` rather than silently dropped.

    `authoritative` (placed after the statistical NER): the matcher alone decides what is MONEY,
    so MONEY entities it did not find are removed and its matches win every overlap."""

    def __init__(self, matcher: Callable[[str], list[tuple[int, int]]], overwrite: bool = False,
                 authoritative: bool = False):
        self.matcher = matcher
        self.overwrite = overwrite or authoritative
        self.authoritative = authoritative

    def __call__(self, doc: Doc) -> Doc:
        if self.authoritative:
            doc.ents = [ent for ent in doc.ents if ent.label_ != "MONEY"]
        spans = []
        for start, end in self.matcher(doc.text):
            span = doc.char_span(start, end, label="MONEY")
            if span is None:
                doc.user_data.setdefault("chip_ner_misaligned", []).append((start, end, "MONEY"))
            else:
                spans.append(span)
        if self.authoritative:
            kept = [ent for ent in doc.ents if not any(ent.start < s.end and s.start < ent.end for s in spans)]
            doc.ents = sorted(kept + spans, key=lambda span: span.start)
        else:
            doc.ents = merge_entities(doc.ents, spans, prefer_new=self.overwrite)
        return doc


def merge_entities(existing: Iterable[Span], new: Iterable[Span], prefer_new: bool) -> list[Span]:
    """Longest span wins on overlap; with equal length, existing entities win unless `prefer_new`."""
    existing, new = list(existing), list(new)
    ordered = new + existing if prefer_new else existing + new
    return filter_spans(ordered)
