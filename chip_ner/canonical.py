"""Canonical IDs for CHIP, COMPANY and PERSON entities, and normalised MONEY values.

`ent.id_` is the canonical ID of a known name (英伟达 / 英偉達 / 輝達 / NVIDIA -> `nvidia`),
from an alias table built from the patterns' `id`s; an unknown name gets its normalised form
(simplified script, case-folded Latin, no spaces), so mentions still group across articles.
`ent._.money` gives `{"value", "min", "max", "currency", "approximate"}` for MONEY.
Self-contained (spaCy only), so `spacy package --code` can ship it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable, Optional

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import ensure_path

ID_LABELS = ("CHIP", "COMPANY", "PERSON")


def normalise(text: str, char_norms) -> str:
    """Simplified script, case-folded, without spaces or middle dots: the key aliases share."""
    return "".join(char_norms.get(c, c) for c in text.casefold() if not c.isspace() and c not in "·・.")


class CanonicalIds:
    def __init__(self, nlp: Language, name: str = "chip_ner_canonical"):
        self.name = name
        self.vocab = nlp.vocab
        self.aliases: dict[str, str] = {}

    @property
    def char_norms(self):
        """The vocab's `lexeme_norm` table (a spaCy Table: `.get` hashes the string), or {}."""
        lookups = self.vocab.lookups
        return lookups.get_table("lexeme_norm") if lookups.has_table("lexeme_norm") else {}

    def initialize(self, get_examples=None, *, nlp: Optional[Language] = None,
                   patterns: Optional[Iterable[dict[str, Any]]] = None) -> None:
        """Aliases from entity_ruler-style patterns that carry an `id`."""
        norms = self.char_norms
        self.aliases = {normalise(p["pattern"], norms): p["id"] for p in patterns or []
                        if isinstance(p.get("pattern"), str) and p.get("id") and p.get("label") in ID_LABELS}

    def __call__(self, doc: Doc) -> Doc:
        norms = None
        ents = []
        for ent in doc.ents:
            if ent.label_ in ID_LABELS and not ent.id_:
                norms = self.char_norms if norms is None else norms
                key = normalise(ent.text, norms)
                ent = Span(doc, ent.start, ent.end, label=ent.label, kb_id=ent.kb_id, span_id=self.aliases.get(key, key))
            ents.append(ent)
        doc.ents = ents
        return doc

    def to_disk(self, path, exclude=()) -> None:
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / "aliases.json").write_text(json.dumps(self.aliases, ensure_ascii=False), encoding="utf-8")

    def from_disk(self, path, exclude=()) -> "CanonicalIds":
        self.aliases = json.loads((ensure_path(path) / "aliases.json").read_text(encoding="utf-8"))
        return self


@Language.factory("chip_ner_canonical")
def make_canonical_ids(nlp: Language, name: str) -> CanonicalIds:
    return CanonicalIds(nlp, name)


# MONEY values ---------------------------------------------------------------------------

CURRENCIES = [  # longest first
    ("新台币", "TWD"), ("新台幣", "TWD"), ("人民币", "CNY"), ("人民幣", "CNY"), ("美元", "USD"), ("美分", "USD"),
    ("欧元", "EUR"), ("歐元", "EUR"), ("日元", "JPY"), ("日圓", "JPY"), ("港元", "HKD"), ("港币", "HKD"),
    ("港幣", "HKD"), ("台币", "TWD"), ("台幣", "TWD"), ("英镑", "GBP"), ("英鎊", "GBP"), ("韩元", "KRW"),
    ("韓元", "KRW"), ("卢布", "RUB"), ("盧布", "RUB"), ("US$", "USD"), ("HK$", "HKD"), ("NT$", "TWD"),
    ("$", "USD"), ("€", "EUR"), ("£", "GBP"), ("¥", "CNY"), ("￥", "CNY"), ("元", "CNY"),
]
DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000}
MAGNITUDES = {"万亿": 1e12, "萬億": 1e12, "亿": 1e8, "億": 1e8, "万": 1e4, "萬": 1e4, "千": 1e3, "百": 1e2,
              "billion": 1e9, "million": 1e6, "bn": 1e9, "m": 1e6}
AMOUNT = re.compile(r"(\d+(?:,\d{3})*(?:\.\d+)?|[零〇一二两兩三四五六七八九十百千]+|[数數几幾][十百千]?)(多|余|餘)?\s?"
                    r"(万亿|萬億|[十百千]?[万萬亿億]|[百千]|billion|million|bn|m\b)?")


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
    value = float(number.replace(",", "")) if number[0].isdigit() else chinese_number(number)
    for part in re.findall(r"万亿|萬億|[十百千万萬亿億]|billion|million|bn|m", magnitude or ""):
        value *= MAGNITUDES.get(part, UNITS.get(part, 1))
    return value


def money_value(text: str) -> dict[str, Any]:
    """`5100萬美元` -> value 51000000, USD; a range gives min and max (`300 亿至 400 亿美元`, and
    `2.5-4万美元`, whose first number borrows the magnitude); a vague amount (`數十億`) no value."""
    currency = next((code for word, code in CURRENCIES if word in text), None)
    matches = list(AMOUNT.finditer(text))
    if not matches:
        return {"value": None, "min": None, "max": None, "currency": currency, "approximate": True}
    last_magnitude = matches[-1].group(3)
    scale = 0.01 if "美分" in text else 1.0
    values = []
    for i, m in enumerate(matches):
        magnitude = m.group(3) or (last_magnitude if i < len(matches) - 1 else None)
        value = amount_value(m.group(1), magnitude)
        values.append(None if value is None else value * scale)
    approximate = any(m.group(2) for m in matches) or None in values
    return {"value": values[0] if len(values) == 1 else None, "min": values[0], "max": values[-1],
            "currency": currency, "approximate": bool(approximate)}


if not Span.has_extension("money"):
    Span.set_extension("money", getter=lambda span: money_value(span.text) if span.label_ == "MONEY" else None)
