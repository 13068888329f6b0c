"""Chip naming schemes: from `TPU v4` in a list, also find `TPUv5`, `Cloud TPU v7`, `CloudTPUv6e`.

A list names the versions someone knew of; news names the next one. Every CHIP entry that is a
family plus a version (`TPU v4`, `Gaudi 3`, `Maia 100`, `MI300X`, `昇腾910B`) contributes its
family with the version's shape (a `v` and one or two digits; or as many digits as it had),
any letter suffix, written glued or spaced (`TPUv4` is one token of the CharLatin tokenizer,
`TPU v4` two). The entity_ruler then matches these token patterns beside the phrase list,
and keeps the longest match, so `Cloud TPU v4` beats `Cloud TPU`.

Families of one Latin letter (`M4`, `H20`) and generic words (`AI 100`) are left out: too
many other things look like them. Families come from the lists they are given (the gazetteer,
curated independently of the articles, and the per-fold patterns), so nothing leaks.
"""
from __future__ import annotations

import itertools
import re
from typing import Any, Iterable

HAN = r"\u3400-\u9fff"
ENTRY = re.compile(rf"(?P<family>[A-Za-z][A-Za-z ]*?[A-Za-z]|[{HAN}]{{2,4}})\s?(?P<version>v?\d+)[A-Za-z]?")
GENERIC_FAMILIES = {"ai", "gpu", "cpu", "npu", "asic", "soc"}  # industry-wide categories (guidelines: not CHIP)


def version_shape(version: str) -> str:
    """`v4` -> `v\\d{1,2}`, `300` -> `\\d{3}`: the shape, not the number, with an optional letter suffix."""
    if version.startswith("v"):
        return r"v\d{1,2}[a-z]?"
    return rf"\d{{{len(version)}}}[a-z]?"


def chip_families(entries: Iterable[dict[str, Any]]) -> dict[str, set[str]]:
    """family (as written) -> version shapes, from the CHIP entries that are family + version."""
    families: dict[str, set[str]] = {}
    for entry in entries:
        pattern = entry.get("pattern")
        if entry.get("label") != "CHIP" or not isinstance(pattern, str):
            continue
        match = ENTRY.fullmatch(pattern)
        if not match:
            continue
        family = match.group("family")
        if family.lower() in GENERIC_FAMILIES:
            continue
        families.setdefault(family, set()).add(version_shape(match.group("version")))
    return families


def latin_token_variants(words: list[str], version: str) -> Iterable[tuple[list[str], str]]:
    """Every way of gluing `Cloud`, `TPU`, `v5e` into tokens (each gap spaced or not), as the
    family words that stand as tokens of their own (matched exactly: a hash lookup) and the regex
    of the token that holds the version (the Matcher tests a first-token regex on every token)."""
    words = [w.lower() for w in words]
    for gaps in itertools.product((True, False), repeat=len(words)):  # the last gap: before the version
        exact, current = [], words[0]
        for spaced, word in zip(gaps, words[1:]):
            if spaced:
                exact.append(current)
                current = word
            else:
                current += word
        if gaps[-1]:
            exact.append(current)
            current = ""
        yield exact, re.escape(current) + version


def version_patterns(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """entity_ruler token patterns (label CHIP) for every family's naming scheme. Versions that
    are one token (`TPUv5`, `MI355X`) share one regex, so the ruler tests one regex per token.
    Tokens are matched on NORM (lower-case Latin, full-width folded: `ＴＰＵｖ５` too)."""
    patterns, single_tokens = [], []
    for family, shapes in sorted(chip_families(entries).items()):
        version = "(?:" + "|".join(sorted(shapes)) + ")"
        if re.match(rf"[{HAN}]", family):
            patterns.append({"label": "CHIP", "pattern": [{"NORM": c} for c in family]
                             + [{"NORM": {"REGEX": f"^{version}$"}}]})
            continue
        for exact, version_token in latin_token_variants(family.split(), version):
            if exact:
                patterns.append({"label": "CHIP", "pattern": [{"NORM": w} for w in exact]
                                 + [{"NORM": {"REGEX": f"^{version_token}$"}}]})
            else:
                single_tokens.append(version_token)
    if single_tokens:
        patterns.append({"label": "CHIP", "pattern": [{"NORM": {"REGEX": "^(?:" + "|".join(dict.fromkeys(single_tokens)) + ")$"}}]})
    return patterns
