"""MONEY matcher and MONEY values: amounts with a currency, in Arabic or Chinese numerals, as the
guidelines define, and `ent._.money` (`{"value", "min", "max", "currency", "approximate"}`).

Approximators (约, 逾, 超, 高达, 近, 左右 …) are simply not part of the grammar, so they stay
outside the span; amounts without a currency (8192块, 25%, 100 petaOps) never match. The matcher
and the value parser read one currency table, so a currency the matcher finds always has a code.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Optional

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans, registry

# Currency word -> ISO code. Order matters for `money_value` (the first word found in the span
# gives the currency), so a word comes before every word inside it: 新台币 before 台币, 美元 before 元.
CURRENCIES: dict[str, str] = {
    "新台币": "TWD", "新台幣": "TWD", "人民币": "CNY", "人民幣": "CNY", "美元": "USD", "美分": "USD",
    "欧元": "EUR", "歐元": "EUR", "日元": "JPY", "日圓": "JPY", "港元": "HKD", "港币": "HKD",
    "港幣": "HKD", "台币": "TWD", "台幣": "TWD", "英镑": "GBP", "英鎊": "GBP", "韩元": "KRW",
    "韓元": "KRW", "韩圜": "KRW", "韓圜": "KRW", "卢布": "RUB", "盧布": "RUB", "卢比": "INR", "盧比": "INR",
    "令吉": "MYR", "马币": "MYR", "馬幣": "MYR", "新加坡元": "SGD", "新加坡幣": "SGD", "新加坡币": "SGD",
    "新元": "SGD", "新币": "SGD", "新幣": "SGD", "瑞士法郎": "CHF", "澳元": "AUD", "澳币": "AUD", "澳幣": "AUD",
    "加元": "CAD", "加币": "CAD", "加幣": "CAD", "泰铢": "THB", "泰銖": "THB", "越南盾": "VND", "印尼盾": "IDR",
    "日圆": "JPY", "美金": "USD", "US$": "USD", "HK$": "HKD", "NT$": "TWD", "S$": "SGD", "A$": "AUD", "C$": "CAD",
    "$": "USD", "€": "EUR", "£": "GBP", "₹": "INR", "₩": "KRW", "¥": "CNY", "￥": "CNY", "元": "CNY",
}
# Symbols stand before the amount and words after it; these words may also stand before it
# (人民币460亿元, 新台幣9899億元).
WORDS_BEFORE = ("人民币", "人民幣", "新台币", "新台幣", "港币", "港幣")
CENT_WORDS = ("美分",)  # the amount is in hundredths of the currency


def is_symbol(word: str) -> bool:
    """`$`, `US$`, `€`: no Han character, so it is written before the amount."""
    return not any("\u3400" <= char <= "\u9fff" for char in word)


def alternation(words: Iterable[str]) -> str:
    """A non-capturing regex alternation, longest first, so `US$` is tried before `$`."""
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


# Digits ASCII or full-width; thousands separators `,` or `，` (groups of three), decimal `.` or `．`.
DIGIT = "[0-9\uff10-\uff19]"
ARABIC = rf"{DIGIT}+(?:[,，]{DIGIT}{{3}})*(?:[.．]{DIGIT}+)?"
CHINESE_NUMERALS = "零〇一二两兩三四五六七八九十百千"
CHINESE_INTEGER = rf"[{CHINESE_NUMERALS}]+"
CHINESE = rf"{CHINESE_INTEGER}(?:[点點][零一二三四五六七八九]+)?"
VAGUE = r"[数數几幾][十百千]?"  # 數十億美元: a vague amount is still money
APPROXIMATE = r"多|余|餘"
NUMBER = rf"(?:{ARABIC}|{CHINESE}|{VAGUE})(?:{APPROXIMATE})?"
# 兆 is 10^12 in money (Taiwan's 1兆 = mainland 1万亿; corpus/GUIDELINES.md, MONEY).
CHINESE_MAGNITUDE = r"万亿|萬億|兆|[十百千]?[万萬亿億]|[百千]"
MAGNITUDE = rf"(?:{CHINESE_MAGNITUDE})?"
# One amount may have several parts, largest first: 1兆2,345億, 3亿5000万, 1億2千萬.
# A space may stand before the magnitude, never after the last character (`$9 ` is `$9`).
# After 万/亿 a last part may be written without its magnitude: 85萬4000韓圜, 1萬8,000 (= 18,000).
UNITS_PART = rf"(?<=[万萬亿億兆]){DIGIT}{{1,4}}(?:[,，]{DIGIT}{{3}})?(?![.．\d])"
AMOUNT = rf"{NUMBER}(?:\s?(?:{CHINESE_MAGNITUDE})(?:{NUMBER}(?:{CHINESE_MAGNITUDE}))*(?:{UNITS_PART})?)?"
CURRENCY_AFTER = alternation(w for w in CURRENCIES if not is_symbol(w))
CURRENCY_BEFORE = alternation([w for w in CURRENCIES if is_symbol(w)] + list(WORDS_BEFORE))
YUAN_SUFFIX = alternation(w for w in WORDS_BEFORE if CURRENCIES[w] == "CNY")
RANGE = r"\s?(?:至|到|-|–|~|～|—|甚至|或)\s?"
# Amounts in a list that share the currency written after the last are one span, as a range is
# (corpus/GUIDELINES.md J42: `1.22亿、4.08亿和24.1亿港元`).
LIST_SEPARATOR = re.compile("[、和與与及]")
LIST = rf"\s?{LIST_SEPARATOR.pattern}\s?"
# A vague amount with no number is a threshold (J33: `站上兆元關卡` -> `兆元`); after a number it is that amount.
THRESHOLD = rf"(?<![\d.．\uff10-\uff19{CHINESE_NUMERALS}数數几幾多余餘])(?:兆|万亿|萬億)元"
# An amount never starts inside a number (`12.5亿美元` is not `5亿美元`).
NOT_AFTER_DIGIT = r"(?<![\d.．\uff10-\uff19])"
# A trailing 人民幣 after 元 (20億元人民幣) belongs to the amount.
MONEY = re.compile(
    rf"{NOT_AFTER_DIGIT}(?:{CURRENCY_BEFORE}\s?)?{AMOUNT}(?:\s?{CURRENCY_AFTER})?(?:{RANGE}{AMOUNT})?"
    rf"\s?{CURRENCY_AFTER}{YUAN_SUFFIX}?"
    rf"|{NOT_AFTER_DIGIT}{AMOUNT}(?:{LIST}{AMOUNT})+\s?{CURRENCY_AFTER}{YUAN_SUFFIX}?"
    rf"|{NOT_AFTER_DIGIT}{CURRENCY_BEFORE}\s?{AMOUNT}(?:{RANGE}{AMOUNT})?(?:\s?(?:billion|million|bn|m)\b)?"
    rf"|{THRESHOLD}"
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


# MONEY values ---------------------------------------------------------------------------

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000}
MAGNITUDES = {"万亿": 1e12, "萬億": 1e12, "兆": 1e12, "亿": 1e8, "億": 1e8, "万": 1e4, "萬": 1e4, "千": 1e3,
              "百": 1e2, "billion": 1e9, "million": 1e6, "bn": 1e9, "m": 1e6}
# One part of an amount, in groups: the number, an approximator, the magnitude.
AMOUNT_PARTS = re.compile(rf"({ARABIC}|{CHINESE_INTEGER}|{VAGUE})({APPROXIMATE})?\s?"
                          rf"({CHINESE_MAGNITUDE}|billion|million|bn|m\b)?")
MAGNITUDE_WORDS = re.compile(r"万亿|萬億|兆|[十百千万萬亿億]|billion|million|bn|m")
# Full-width digits and separators -> ASCII, for float().
ASCII_NUMBER = str.maketrans("０１２３４５６７８９．", "0123456789.", ",，")


def chinese_number(text: str) -> float:
    """二十 -> 20, 三千五百 -> 3500 (units below 万; magnitudes are handled separately)."""
    total, current = 0, 0
    for char in text:
        if char in DIGITS:
            current = DIGITS[char]
        elif char in UNITS:
            total += (current or 1) * UNITS[char]
            current = 0
    return float(total + current)


def amount_value(number: str, magnitude: Optional[str]) -> Optional[float]:
    if number[0] in "数數几幾":
        return None
    value = chinese_number(number) if number[0] in DIGITS or number[0] in UNITS else float(number.translate(ASCII_NUMBER))
    for part in MAGNITUDE_WORDS.findall(magnitude or ""):
        value *= MAGNITUDES.get(part, UNITS.get(part, 1))
    return value


def amounts(text: str) -> list[list[re.Match]]:
    """The parts of each amount in a span: parts that follow each other directly, each after a
    magnitude, make one amount (`1兆2,345億` = 1兆 + 2,345億); anything else between parts
    (`至`, `-`) starts the next amount of a range."""
    groups: list[list[re.Match]] = []
    for part in AMOUNT_PARTS.finditer(text):
        previous = groups[-1][-1] if groups else None
        if previous is not None and previous.end() == part.start() and previous.group(3) and previous.group(3)[0] not in "bm":
            groups[-1].append(part)
        else:
            groups.append([part])
    return groups


def is_list(text: str, groups: list[list[re.Match]]) -> bool:
    """Whether the amounts are a list (`1.22亿、4.08亿和24.1亿港元`), told by what stands between two of
    them, not by a separator anywhere in the span."""
    return any(LIST_SEPARATOR.fullmatch(text[before[-1].end():after[0].start()].strip())
               for before, after in zip(groups, groups[1:]))


def money_value(text: str) -> dict[str, Any]:
    """`5100萬美元` -> value 51000000, USD; `新台幣1兆2,345億元` -> 1.2345e12, TWD; a range gives
    min and max (`300 亿至 400 亿美元`, and `2.5-4万美元`, whose first number borrows the
    magnitude); a list sharing one currency (`4.08亿和1.22亿港元`) each amount in `values`, its
    smallest and largest as min and max; a vague amount (`數十億`) no value."""
    currency = next((code for word, code in CURRENCIES.items() if word in text), None)
    groups = amounts(text)
    if not groups:
        return {"value": None, "min": None, "max": None, "values": [], "currency": currency, "approximate": True}
    last_magnitude = groups[-1][0].group(3)
    scale = 0.01 if any(word in text for word in CENT_WORDS) else 1.0
    values = []
    for i, parts in enumerate(groups):
        borrowed = last_magnitude if i < len(groups) - 1 and len(parts) == 1 and not parts[0].group(3) else None
        part_values = [amount_value(m.group(1), m.group(3) or borrowed) for m in parts]
        values.append(None if None in part_values else sum(part_values) * scale)
    approximate = any(m.group(2) for parts in groups for m in parts) or None in values
    low, high = values[0], values[-1]
    known = [v for v in values if v is not None]
    if is_list(text, groups) and known:  # a list is not ordered as a range is
        low, high = min(known), max(known)
    return {"value": values[0] if len(values) == 1 else None, "min": low, "max": high, "values": values,
            "currency": currency, "approximate": bool(approximate)}


if not Span.has_extension("money"):
    Span.set_extension("money", getter=lambda span: money_value(span.text) if span.label_ == "MONEY" else None)


# The component ------------------------------------------------------------------------

# How matches meet the entities already set, like SpanRuler's one option:
#   add: existing entities win overlaps; overwrite: matches win overlaps;
#   authoritative (after the NER): the matcher alone decides MONEY, so MONEY entities it did
#   not find are removed and its matches win every overlap.
MODES = ("add", "overwrite", "authoritative")


class MoneyComponent:
    """Adds MONEY entities; a match that does not align with tokens is kept in
    `doc.user_data["chip_ner_misaligned"]` rather than silently dropped."""

    def __init__(self, matcher: Callable[[str], list[tuple[int, int]]], mode: str = "add"):
        if mode not in MODES:
            raise ValueError(f"chip_ner_money: unknown mode {mode!r}; expected one of {', '.join(map(repr, MODES))}")
        self.matcher = matcher
        self.mode = mode

    def __call__(self, doc: Doc) -> Doc:
        if self.mode == "authoritative":
            doc.ents = [ent for ent in doc.ents if ent.label_ != "MONEY"]
        spans = []
        for start, end in self.matcher(doc.text):
            span = doc.char_span(start, end, label="MONEY")
            if span is None:
                doc.user_data.setdefault("chip_ner_misaligned", []).append((start, end, "MONEY"))
            else:
                spans.append(span)
        if self.mode == "authoritative":
            covered = bytearray(len(doc))  # tokens a match covers: one pass, not matches x entities
            for span in spans:
                covered[span.start:span.end] = b"\x01" * len(span)
            kept = [ent for ent in doc.ents if not any(covered[ent.start:ent.end])]
            doc.ents = sorted(kept + spans, key=lambda span: span.start)
        else:
            doc.ents = merge_entities(doc.ents, spans, prefer_new=self.mode == "overwrite")
        return doc


def merge_entities(existing: Iterable[Span], new: Iterable[Span], prefer_new: bool) -> list[Span]:
    """Longest span wins on overlap; with equal length, existing entities win unless `prefer_new`."""
    existing, new = list(existing), list(new)
    ordered = new + existing if prefer_new else existing + new
    return filter_spans(ordered)


def make_money_component(nlp: Language, name: str, matcher: Callable[[str], list[tuple[int, int]]],
                         mode: str) -> MoneyComponent:
    return MoneyComponent(matcher, mode)


# The project's file and the wheel's copy of it may both be imported in one process (spaCy
# raises E004 for a second, different function under one name); they are the same code.
if not Language.has_factory("chip_ner_money"):
    Language.factory("chip_ner_money", func=make_money_component,
                     default_config={"matcher": {"@misc": "chip_ner.money_matcher.v1"}, "mode": "add"})
