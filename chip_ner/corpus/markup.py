"""Inline review markup: `英伟达[[H100|CHIP]]`, one paragraph a line as `id<TAB>marked text`.

Reviewers read and edit entities in context far more reliably than offset lists; this module
turns doccano JSONL records into that markup and back, and refuses any markup whose text,
once the brackets are removed, differs from the cleaned paragraph by even one character.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from .. import LABELS
from ..errors import ChipNerError, Problem
from ..io import read_jsonl, read_utf8
from ..records import is_offset, text_mismatch

ENTITY = re.compile(r"\[\[(.+?)\|(" + "|".join(LABELS) + r")\]\]")


def to_markup(text: str, spans: list[list]) -> str:
    """Insert `[[…|LABEL]]` around each span; spans must not overlap."""
    out = []
    pos = 0
    for start, end, label in sorted(spans):
        out.append(text[pos:start])
        out.append(f"[[{text[start:end]}|{label}]]")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def from_markup(marked: str) -> tuple[str, list[list]]:
    """Plain text and `[start, end, label]` spans (code-point offsets) of a marked line."""
    text_parts = []
    spans = []
    pos = 0
    length = 0
    for match in ENTITY.finditer(marked):
        before = marked[pos:match.start()]
        text_parts.append(before)
        length += len(before)
        surface, label = match.group(1), match.group(2)
        spans.append([length, length + len(surface), label])
        text_parts.append(surface)
        length += len(surface)
        pos = match.end()
    text_parts.append(marked[pos:])
    return "".join(text_parts), spans


def is_span(span: Any, text: str) -> bool:
    return (isinstance(span, list) and len(span) == 3 and all(is_offset(v) for v in span[:2])
            and 0 <= span[0] < span[1] <= len(text))


def markup_lines(path: Path) -> list[str]:
    """`id<TAB>markup` lines of doccano records; a record without `meta.id`, `text` or well-formed
    spans is named (file:line) instead of failing halfway with a KeyError."""
    lines, problems = [], []
    for line_no, record in read_jsonl(path):
        meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
        pid, text, spans = meta.get("id"), record.get("text"), record.get("label")
        if not isinstance(pid, str) or not isinstance(text, str) or not isinstance(spans, list):
            problems.append(Problem(path, "record needs a `meta.id`, a string `text` and a list `label`", line=line_no))
        elif not all(is_span(span, text) for span in spans):
            problems.append(Problem(path, f"{pid}: `label` must hold [start, end, label] within the text", line=line_no))
        else:
            lines.append(f"{pid}\t{to_markup(text, spans)}\n")
    if problems:
        raise ChipNerError(f"Cannot export {path} as markup", problems, "Fix the records named above; nothing was written.")
    return lines


def read_markup(path: Path, paragraphs: dict[str, dict[str, Any]]) -> dict[str, list[list]]:
    """Spans by paragraph id; every line must name a known paragraph and keep its text exactly."""
    problems = []
    result: dict[str, list[list]] = {}
    for line_no, line in enumerate(read_utf8(path).split("\n"), start=1):
        if not line.strip():
            continue
        pid, sep, marked = line.partition("\t")
        if not sep:
            problems.append(Problem(path, "expected `id<TAB>marked text`", line=line_no))
            continue
        if pid not in paragraphs:
            problems.append(Problem(path, f"unknown paragraph id {pid!r}", line=line_no))
            continue
        if "[[" in ENTITY.sub("", marked) or "]]" in ENTITY.sub("", marked):
            problems.append(Problem(path, "unbalanced [[ ]] or unknown label", line=line_no))
            continue
        text, spans = from_markup(marked)
        mismatch = text_mismatch(path, line_no, pid, text, paragraphs[pid]["text"])
        if mismatch:
            problems.append(mismatch)
            continue
        result[pid] = spans
    if problems:
        raise ChipNerError(f"Invalid markup in {path}", problems, "Fix the lines named above; nothing was written.")
    return result


if __name__ == "__main__":  # python -m chip_ner.markup corpus/paragraphs.jsonl FILE: check a markup file
    from ..records import load_paragraphs

    paragraphs = load_paragraphs(Path(sys.argv[1]))
    spans = read_markup(Path(sys.argv[2]), paragraphs)
    print(f"OK: {len(spans)} paragraphs, {sum(len(s) for s in spans.values())} spans")
