"""The project's shared data model: paragraphs, gold records, span checks, patterns and the
per-fold leak rule. Every step reads its inputs through these functions, so a file is checked
the same way (file, line, offset, reason) wherever it is read.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Optional, Sized

from . import LABELS
from .errors import ChipNerError, Problem
from .io import iter_jsonl, raise_unreadable, read_checked_jsonl
from .pipeline.spans import is_edge_junk  # the rule the model's output obeys too

if TYPE_CHECKING:
    from spacy.language import Language

Span = tuple[int, int, str]  # (start, end, label), code-point offsets


def split_ids(value: Optional[str]) -> list[str]:
    """`"001"` or `"001, 003"` -> ["001", "003"]: the comma lists of article and paragraph ids."""
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def show_span(text: str, span: Optional[Span]) -> str:
    """`'台积电' COMPANY [12, 15)`: how every message and report names a span."""
    if span is None:
        return "none"
    start, end, label = span
    return f"{text[start:end]!r} {label} [{start}, {end})"


def json_type(value: Any) -> str:
    """The JSON name of a value's type, as a message about a JSON file should say it."""
    if isinstance(value, bool):
        return "boolean"
    return {int: "number", float: "number", str: "string", list: "array", dict: "object"}.get(type(value), "null")


def is_offset(value: Any) -> bool:
    """A JSON integer; `true` is not offset 1, though Python's bool is an int."""
    return isinstance(value, int) and not isinstance(value, bool)


def require_records(path: Path, records: Sized, hint: str) -> None:
    """An empty input is an error: a step run on it would report a vacuous result (F1 1.000)
    or overwrite a good output with an empty one."""
    if not records:
        raise ChipNerError(f"No records in {path}", [Problem(path, "the file is empty", line=1)], hint)


def load_paragraphs(path: Path) -> dict[str, dict[str, Any]]:
    """Paragraph records by id, as written by `clean` (read a line at a time: the file is not
    held as text beside the records)."""
    seen: set[str] = set()

    def check(record: dict[str, Any]) -> Optional[str]:
        missing = [key for key in ("id", "article", "text") if key not in record]
        if missing:
            return f"missing keys {missing}"
        wrong = [key for key in ("id", "article", "text") if not isinstance(record[key], str)]
        if wrong:
            return "must be strings: " + ", ".join(f"`{key}` (found {json_type(record[key])})" for key in wrong)
        if record["id"] in seen:
            return f"duplicate paragraph id {record['id']}"
        seen.add(record["id"])
        return None

    unreadable: list[Problem] = []
    problems = []
    records = {}
    for line, record in iter_jsonl(path, unreadable):
        reason = check(record)
        if reason:
            problems.append(Problem(path, reason, line=line))
        else:
            records[record["id"]] = record
    raise_unreadable(path, unreadable)
    if problems:
        raise ChipNerError(f"Invalid paragraphs in {path}", problems, "Rerun: spacy project run clean")
    require_records(path, records, "Rerun: spacy project run clean")
    return records


@dataclass
class GoldRecord:
    line: int
    id: str
    article: str
    text: str
    spans: list[Span]
    meta: dict[str, Any]
    batch: str = ""

    @property
    def fold(self) -> str:
        """What cross-validation holds out together: a written article's topic batch (no story of
        a held-out batch is in its training data); a seed article is its own batch."""
        return self.batch or self.article


def check_span(span: Any, text: str) -> Optional[str]:
    """The reason a single span is invalid, or None."""
    if not (isinstance(span, list) and len(span) == 3 and is_offset(span[0])
            and is_offset(span[1]) and isinstance(span[2], str)):
        return f"span {span!r} is not [start, end, label]"
    start, end, label = span
    if label not in LABELS:
        return f"unknown label {label!r}; expected one of {', '.join(LABELS)}"
    if not 0 <= start < end <= len(text):
        return f"span [{start}, {end}] out of range for text of length {len(text)}"
    if is_edge_junk(text[start]) or is_edge_junk(text[end - 1]):
        return f"span {text[start:end]!r} starts or ends with whitespace, punctuation or a format character"
    return None


def text_mismatch(path: Path, line: int, pid: str, text: str, expected: str) -> Optional[Problem]:
    """A Problem at the first character where an annotated text departs from its paragraph."""
    if text == expected:
        return None
    offset = next((i for i, (a, b) in enumerate(zip(text, expected)) if a != b), min(len(text), len(expected)))
    return Problem(path, f"{pid}: text differs from the cleaned paragraph "
                         f"({text[offset:offset + 10]!r} vs {expected[offset:offset + 10]!r})", line=line, offset=offset)


def checked_spans(path: Path | str, line: Optional[int], pid: str, text: str, spans: list[Any],
                  problems: list[Problem]) -> list[Span]:
    """The valid spans, sorted; every invalid or overlapping one becomes a Problem."""
    good = []
    for span in spans:
        reason = check_span(span, text)
        if reason:
            offset = span[0] if isinstance(span, list) and span and is_offset(span[0]) else None
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
    if not isinstance(pid, str):
        problems.append(Problem(path, f"meta.id must be a string, found {json_type(pid)}", line=line))
        return None
    if pid not in paragraphs:
        problems.append(Problem(path, f"meta.id {pid!r} is not a cleaned paragraph id", line=line))
        return None
    mismatch = text_mismatch(path, line, pid, text, paragraphs[pid]["text"])
    if mismatch:
        problems.append(mismatch)
        return None
    good = checked_spans(path, line, pid, text, spans, problems)
    article = paragraphs[pid]["article"]
    return GoldRecord(line, pid, article, text, good, meta, paragraphs[pid].get("batch", article))


def iter_gold(path: Path, paragraphs: dict[str, dict[str, Any]], require_all: bool = True) -> Iterator[GoldRecord]:
    """Parse and check the records a line at a time, yielding each valid one as it is read; at
    the end, raise with all the problems found (those `load_gold` raises, in the same order).
    A consumer that keeps nothing (a first, checking pass) holds one record at a time; one that
    writes must write where a failure at the end leaves nothing (`atomic_paths`)."""
    unreadable: list[Problem] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    lines = 0
    for line, raw in iter_jsonl(path, unreadable):
        lines += 1
        record = parse_record(path, line, raw, paragraphs, problems)
        if record is None:
            continue
        if record.id in seen:
            problems.append(Problem(path, f"{record.id} already annotated on line {seen[record.id]}", line=line))
            continue
        seen[record.id] = line
        yield record
    raise_unreadable(path, unreadable)
    require_records(path, range(lines), "Export the annotations again (doccano JSONL, one record a line).")
    if require_all and not problems and len(seen) < len(paragraphs):
        missing = [pid for pid in paragraphs if pid not in seen]
        problems.append(Problem(path, f"{len(missing)} cleaned paragraphs have no gold record: {', '.join(missing[:10])}"))
    if problems:
        raise ChipNerError(f"Gold annotations in {path} are invalid", problems,
                           "Fix the records named above (file:line, offset); nothing was written.")


def check_gold(path: Path, paragraphs: dict[str, dict[str, Any]], require_all: bool = True) -> int:
    """`load_gold`'s checks keeping no record (a first pass over a gold too large to hold):
    raises as it does, or returns the number of records."""
    return sum(1 for _ in iter_gold(path, paragraphs, require_all))


def load_gold(path: Path, paragraphs_path: Path, require_all: bool = True) -> list[GoldRecord]:
    """Parse and check every record; raise with all problems found, or return the records.
    With `require_all`, every cleaned paragraph must have a record (the gold must be complete)."""
    return list(iter_gold(path, load_paragraphs(paragraphs_path), require_all))


def pattern_problem(record: dict[str, Any]) -> Optional[str]:
    if record.get("label") not in LABELS:
        return f"unknown label {record.get('label')!r}; expected one of {LABELS}"
    if not isinstance(record.get("pattern"), (str, list)) or not record["pattern"]:
        return "`pattern` must be a non-empty string or token-pattern list"
    if isinstance(record["pattern"], list):
        from spacy.schemas import validate_token_pattern  # spaCy's own check, as the Matcher runs it

        errors = validate_token_pattern(record["pattern"])
        if errors:
            return "invalid token pattern: " + "; ".join(errors[:3])
    if "id" in record and not isinstance(record["id"], str):
        return f"`id` must be a string, found {json_type(record['id'])}"
    return None


def load_patterns(path: Path) -> list[dict[str, Any]]:
    """entity_ruler patterns, checked line by line so a bad one is named, not half-loaded."""
    return read_checked_jsonl(path, pattern_problem, "Invalid patterns", "Fix the lines named above and rerun.")


def entity_spans(nlp: "Language", texts: Iterable[str]) -> list[list[Span]]:
    """(start, end, label) of every entity, per text, as any pipeline predicts them."""
    return [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in nlp.pipe(texts)]


def fold_patterns(patterns: list[dict[str, Any]], records: list[GoldRecord], held_out: str) -> list[dict[str, Any]]:
    """The patterns minus those only the held-out articles' gold could have suggested
    (`held_out`: one article id, or several separated by commas). The project's patterns were
    curated by someone who had read the articles, so wherever an article is scored, this is
    the list its pipeline gets."""
    held = set(split_ids(held_out))

    def surfaces(rs: list[GoldRecord]) -> set[str]:
        return {r.text[s:e] for r in rs for s, e, _ in r.spans}

    only_held_out = surfaces([r for r in records if r.fold in held]) - \
        surfaces([r for r in records if r.fold not in held])
    return [p for p in patterns if p["pattern"] not in only_held_out]


def normalised(text: str, norms: dict[str, str]) -> str:
    """The key a list entry and a mention share when they name the same thing: simplified script,
    case-folded, without spaces or middle dots (what canonical IDs group by)."""
    from .pipeline.canonical import normalise

    return normalise(text, norms)


def mention_keys(records: Iterable[GoldRecord], norms: dict[str, str]) -> set[str]:
    return {normalised(r.text[s:e], norms) for r in records for s, e, _ in r.spans}


def ablate(entries: list[dict[str, Any]], held_out: Iterable[GoldRecord], norms: dict[str, str]) -> list[dict[str, Any]]:
    """The list without every entry that names a gold mention of the held-out articles (after
    normalisation): scored on those articles, their names are then names no list knows, as
    tomorrow's news is. Token patterns (no text to compare) stay."""
    keys = mention_keys(held_out, norms)
    return [e for e in entries if not (isinstance(e.get("pattern"), str) and normalised(e["pattern"], norms) in keys)]


def listed_spans(records: Iterable[GoldRecord], entries: Iterable[dict[str, Any]],
                 norms: dict[str, str]) -> dict[str, list[list[int]]]:
    """For every record, the gold spans whose text a list entry names: the mentions a list finds
    whatever the model learned, scored apart from those in no list."""
    keys = {normalised(e["pattern"], norms) for e in entries if isinstance(e.get("pattern"), str)}
    return {r.id: [[s, e] for s, e, _ in r.spans if normalised(r.text[s:e], norms) in keys] for r in records}
