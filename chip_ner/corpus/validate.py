"""Gold validator: every record and span checked against the guidelines' mechanical rules.

Errors (bad labels, offsets, overlaps, edges, changed text, missing paragraphs) fail. The
consistency check lists surface strings labelled differently, or labelled in one place and
not in another; each entry must be fixed or explained in the allow-list, else it fails too.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..errors import ChipNerError, Problem
from ..io import read_checked_jsonl
from ..records import GoldRecord, load_gold


@dataclass
class ConsistencyEntry:
    kind: str  # "label_conflict" or "unlabelled"
    text: str
    where: list[str]
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.text!r} {self.detail} [{', '.join(self.where[:6])}{' …' if len(self.where) > 6 else ''}]"


@dataclass
class ValidationReport:
    records: int = 0
    per_label: Counter = field(default_factory=Counter)
    per_article: Counter = field(default_factory=Counter)
    unexplained: list[ConsistencyEntry] = field(default_factory=list)
    explained: list[tuple[ConsistencyEntry, str]] = field(default_factory=list)
    stale_allowlist: list[str] = field(default_factory=list)


def word_bounded(text: str, start: int, end: int) -> bool:
    """False when an occurrence sits inside a longer Latin word or number (`AMD` in `AMDX`)."""
    def word(c: str) -> bool:
        return c.isascii() and c.isalnum()
    left_ok = start == 0 or not (word(text[start - 1]) and word(text[start]))
    right_ok = end == len(text) or not (word(text[end - 1]) and word(text[end]))
    return left_ok and right_ok


def consistency(records: list[GoldRecord]) -> list[ConsistencyEntry]:
    """Surface strings labelled inconsistently across the corpus."""
    labels_of: dict[str, Counter] = defaultdict(Counter)
    places_of: dict[str, list[str]] = defaultdict(list)
    for record in records:
        for start, end, label in record.spans:
            surface = record.text[start:end]
            labels_of[surface][label] += 1
            places_of[surface].append(record.id)
    entries = []
    for surface, labels in sorted(labels_of.items()):
        if len(labels) > 1:
            entries.append(ConsistencyEntry("label_conflict", surface, sorted(set(places_of[surface])),
                                            f"labelled {dict(labels)}"))
    rank = {surface: i for i, surface in enumerate(labels_of)}  # the order entries were always listed in
    by_length: dict[int, set[str]] = defaultdict(set)
    for surface in labels_of:
        by_length[len(surface)].add(surface)
    for record in records:
        covered = [False] * len(record.text)
        for start, end, _ in record.spans:
            covered[start:end] = [True] * (end - start)
        found = occurrences(record.text, by_length)
        for surface in sorted(found, key=rank.__getitem__):
            for start in found[surface]:
                end = start + len(surface)
                if not any(covered[start:end]) and word_bounded(record.text, start, end):
                    entries.append(ConsistencyEntry("unlabelled", surface, [f"{record.id}@{start}"],
                                                    f"labelled {labels_of[surface].most_common(1)[0][0]} elsewhere, not here"))
    return entries


def occurrences(text: str, by_length: dict[int, set[str]]) -> dict[str, list[int]]:
    """Starts of every labelled surface in `text`, found with one set lookup per position and
    length (not one regex per surface and record, which was quadratic in the corpus); like
    `re.finditer`, the occurrences of one surface do not overlap."""
    found: dict[str, list[int]] = {}
    for length, surfaces in by_length.items():
        for start in range(len(text) - length + 1):
            piece = text[start:start + length]
            if piece in surfaces:
                starts = found.setdefault(piece, [])
                if not starts or start >= starts[-1] + length:
                    starts.append(start)
    return found


def load_allowlist(path: Optional[Path]) -> list[dict[str, Any]]:
    if path is None or not Path(path).exists():
        return []

    def check(record: dict[str, Any]) -> Optional[str]:
        if record.get("kind") not in ("label_conflict", "unlabelled") or not record.get("text") or not record.get("reason"):
            return "allow-list entries need `kind` (label_conflict|unlabelled), `text` and `reason`"
        return None

    return read_checked_jsonl(path, check, "Invalid allow-list")


def allowed_by(entry: ConsistencyEntry, allow: dict[str, Any]) -> bool:
    """An allow-list entry matches by kind and text, and, if it names `ids`, by paragraph."""
    if allow["kind"] != entry.kind or allow["text"] != entry.text:
        return False
    ids = allow.get("ids")
    return ids is None or all(place.split("@")[0] in ids for place in entry.where)


def validate(gold_path: Path, paragraphs_path: Path, *, allowlist_path: Optional[Path] = None) -> ValidationReport:
    """Check the gold; raise ChipNerError on any error or unexplained inconsistency."""
    records = load_gold(gold_path, paragraphs_path)
    allowlist = load_allowlist(allowlist_path)
    report = ValidationReport(records=len(records))
    for record in records:
        for _, _, label in record.spans:
            report.per_label[label] += 1
            report.per_article[(record.article, label)] += 1
    used = set()
    for entry in consistency(records):
        match = next((i for i, allow in enumerate(allowlist) if allowed_by(entry, allow)), None)
        if match is None:
            report.unexplained.append(entry)
        else:
            used.add(match)
            report.explained.append((entry, allowlist[match]["reason"]))
    report.stale_allowlist = [f"{a['kind']} {a['text']!r}" for i, a in enumerate(allowlist) if i not in used]
    if report.unexplained:
        problems = [Problem(gold_path, str(entry)) for entry in report.unexplained]
        raise ChipNerError(f"{len(problems)} unexplained consistency entries in the gold", problems,
                           f"Fix the spans, or add an entry with a reason to {allowlist_path}.")
    return report
