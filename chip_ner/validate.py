"""Gold validator: every record and span checked against the guidelines' mechanical rules.

Errors (bad labels, offsets, overlaps, edges, changed text, missing paragraphs) fail. The
consistency check lists surface strings labelled differently, or labelled in one place and
not in another; each entry must be fixed or explained in the allow-list, else it fails too.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from . import LABELS
from .clean import load_paragraphs
from .errors import ChipNerError, Problem
from .io import read_jsonl


@dataclass
class GoldRecord:
    line: int
    id: str
    article: str
    text: str
    spans: list[tuple[int, int, str]]
    meta: dict[str, Any]


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


def is_edge_junk(char: str) -> bool:
    """Whitespace and punctuation never start or end a span."""
    return char.isspace() or unicodedata.category(char).startswith("P")


def check_span(span: Any, text: str) -> Optional[str]:
    """The reason a single span is invalid, or None."""
    if not (isinstance(span, list) and len(span) == 3 and isinstance(span[0], int)
            and isinstance(span[1], int) and isinstance(span[2], str)):
        return f"span {span!r} is not [start, end, label]"
    start, end, label = span
    if label not in LABELS:
        return f"unknown label {label!r}; expected one of {', '.join(LABELS)}"
    if not 0 <= start < end <= len(text):
        return f"span [{start}, {end}] out of range for text of length {len(text)}"
    if is_edge_junk(text[start]) or is_edge_junk(text[end - 1]):
        return f"span {text[start:end]!r} starts or ends with whitespace or punctuation"
    return None


def text_mismatch(path: Path, line: int, pid: str, text: str, expected: str) -> Optional[Problem]:
    """A Problem at the first character where an annotated text departs from its paragraph."""
    if text == expected:
        return None
    offset = next((i for i, (a, b) in enumerate(zip(text, expected)) if a != b), min(len(text), len(expected)))
    return Problem(path, f"{pid}: text differs from the cleaned paragraph "
                         f"({text[offset:offset + 10]!r} vs {expected[offset:offset + 10]!r})", line=line, offset=offset)


def checked_spans(path: Path | str, line: Optional[int], pid: str, text: str, spans: list[Any],
                  problems: list[Problem]) -> list[tuple[int, int, str]]:
    """The valid spans, sorted; every invalid or overlapping one becomes a Problem."""
    good = []
    for span in spans:
        reason = check_span(span, text)
        if reason:
            offset = span[0] if isinstance(span, list) and span and isinstance(span[0], int) else None
            problems.append(Problem(path, f"{pid}: {reason}", line=line, offset=offset))
        else:
            good.append(tuple(span))
    good.sort()
    for (s1, e1, l1), (s2, e2, l2) in zip(good, good[1:]):
        if s2 < e1:
            problems.append(Problem(path, f"{pid}: overlapping spans {text[s1:e1]!r} ({l1}) and {text[s2:e2]!r} ({l2})",
                                    line=line, offset=s2))
    return good


def parse_record(path: Path, line: int, record: dict[str, Any], paragraphs: dict[str, dict[str, Any]],
                 problems: list[Problem]) -> Optional[GoldRecord]:
    meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
    pid = meta.get("id")
    text = record.get("text")
    spans = record.get("label")
    if not isinstance(text, str) or not isinstance(spans, list):
        problems.append(Problem(path, "record needs a string `text` and a list `label`", line=line))
        return None
    if pid not in paragraphs:
        problems.append(Problem(path, f"meta.id {pid!r} is not a cleaned paragraph id", line=line))
        return None
    mismatch = text_mismatch(path, line, pid, text, paragraphs[pid]["text"])
    if mismatch:
        problems.append(mismatch)
        return None
    good = checked_spans(path, line, pid, text, spans, problems)
    return GoldRecord(line, pid, paragraphs[pid]["article"], text, good, meta)


def load_gold(path: Path, paragraphs_path: Path, require_all: bool = True) -> list[GoldRecord]:
    """Parse and check every record; raise with all problems found, or return the records.
    With `require_all`, every cleaned paragraph must have a record (the gold must be complete)."""
    paragraphs = load_paragraphs(paragraphs_path)
    problems: list[Problem] = []
    records = []
    seen: dict[str, int] = {}
    for line, raw in read_jsonl(path):
        record = parse_record(path, line, raw, paragraphs, problems)
        if record is None:
            continue
        if record.id in seen:
            problems.append(Problem(path, f"{record.id} already annotated on line {seen[record.id]}", line=line))
            continue
        seen[record.id] = line
        records.append(record)
    missing = [pid for pid in paragraphs if pid not in seen]
    if require_all and missing and not problems:
        problems.append(Problem(path, f"{len(missing)} cleaned paragraphs have no gold record: {', '.join(missing[:10])}"))
    if problems:
        raise ChipNerError(f"Gold annotations in {path} are invalid", problems,
                           "Fix the records named above (file:line, offset); nothing was written.")
    return records


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
    for record in records:
        covered = [False] * len(record.text)
        for start, end, _ in record.spans:
            covered[start:end] = [True] * (end - start)
        for surface, labels in labels_of.items():
            for match in re.finditer(re.escape(surface), record.text):
                start, end = match.span()
                if not any(covered[start:end]) and word_bounded(record.text, start, end):
                    entries.append(ConsistencyEntry("unlabelled", surface, [f"{record.id}@{start}"],
                                                    f"labelled {labels.most_common(1)[0][0]} elsewhere, not here"))
    return entries


def load_allowlist(path: Optional[Path]) -> list[dict[str, Any]]:
    if path is None or not Path(path).exists():
        return []
    problems = []
    entries = []
    for line, record in read_jsonl(path):
        if record.get("kind") not in ("label_conflict", "unlabelled") or not record.get("text") or not record.get("reason"):
            problems.append(Problem(path, "allow-list entries need `kind` (label_conflict|unlabelled), `text` and `reason`", line=line))
        else:
            entries.append(record)
    if problems:
        raise ChipNerError(f"Invalid allow-list {path}", problems)
    return entries


def allowed_by(entry: ConsistencyEntry, allow: dict[str, Any]) -> bool:
    """An allow-list entry matches by kind and text, and, if it names `ids`, by paragraph."""
    if allow["kind"] != entry.kind or allow["text"] != entry.text:
        return False
    ids = allow.get("ids")
    return ids is None or all(place.split("@")[0] in ids for place in entry.where)


def validate(gold_path: Path, paragraphs_path: Path, allowlist_path: Optional[Path] = None) -> ValidationReport:
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
