"""Seed articles (and articles written for the project) -> cleaned paragraphs that trace back
to their file.

Each non-blank line of a seed is a paragraph. Its id (`000-p007`) is its index among the
seed's non-blank lines, so ids stay stable when a rule changes what is dropped. Rules run
in a fixed order: repair conversion artefacts, drop boilerplate, drop duplicates.

Articles written for the project (`written/`) go through the same rules. Each has a sidecar
`<name>.meta.jsonl` (one record per paragraph line: `fictional`, and the pages its facts were
checked against), and `written/batches.jsonl` puts every written article in one topic batch:
cross-validation holds out a whole batch, so no held-out story is in its training data. A
seed's batch is its article.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..errors import ChipNerError, Problem
from ..io import atomic_paths, jsonl_text, read_jsonl, read_utf8
from ..records import is_offset

# Pinyin that a converter inserted after a character: 區(qū)塊鏈 -> 區塊鏈. Only lower-case
# Latin with at least one tone mark qualifies, so `(AMD)` or `(Neuromorphic)` stay.
TONE_MARKS = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
PINYIN = re.compile(r"(?<=[\u4e00-\u9fff])\((?=[a-zü\s]*[" + TONE_MARKS + r"])[a-z" + TONE_MARKS + r"ü\s]{1,8}\)")
# Mojibake of a Chinese full stop and closing quote (`。”`) in 001, including one case where
# the following `他補` was swallowed as well. Checked against the sentence structure.
MOJIBAKE = {"?!?": "。”", "?!彼a": "。”他補"}
# HTML left over from the page, with its `<` turned into `?`: `?/p>`, `/p>`.
HTML_REMNANT = re.compile(r"[?<]?/?\b(?:p|br|div|span)\s*/?>")
# A lone `?` that stood for a (no-break) space: `英偉達?A100`. A `?` before `#`, a closing
# bracket or quote, or at the end is a real question mark; `??` is a lost character and stays.
LONE_QUESTION_MARK = re.compile(r"(?<!\?)\?(?![?#】」”)\]]|$)")
UNREPAIRED = re.compile(r"\?\?+")
LEADING_BULLETS = "•·▪●◦-*"
BOM = "\ufeff"
# Any line ending a converter may leave: Windows CRLF, old-Mac CR, Unix LF.
LINE_END = re.compile(r"\r\n|\r|\n")

DEFAULT_BOILERPLATE = Path("configs/boilerplate.jsonl")


@dataclass
class Paragraph:
    id: str
    article: str
    seed: str
    start: int
    end: int
    text: str
    repairs: int = 0
    batch: str = ""
    written: Optional[dict[str, Any]] = None  # for written articles: {"fictional", "checked"}

    def to_record(self) -> dict[str, Any]:
        record = {"id": self.id, "article": self.article, "text": self.text, "seed": self.seed,
                  "start": self.start, "end": self.end, "repairs": self.repairs, "batch": self.batch or self.article}
        if self.written is not None:
            record.update(source="written", fictional=self.written["fictional"], checked=self.written["checked"])
        return record


@dataclass
class CleanReport:
    """What each rule changed, so a rule that suddenly fires more (or less) is visible."""

    repairs: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    kept_per_article: Counter = field(default_factory=Counter)
    chars_per_article: Counter = field(default_factory=Counter)
    unrepaired: list = field(default_factory=list)


@dataclass
class BoilerplateRule:
    category: str
    pattern: re.Pattern


def load_boilerplate_rules(path: Path = DEFAULT_BOILERPLATE) -> list[BoilerplateRule]:
    """Rules are data: one JSON object a line with `category` and a `pattern` regex."""
    rules = []
    problems = []
    for line_no, record in read_jsonl(path):
        try:
            rules.append(BoilerplateRule(record["category"], re.compile(record["pattern"])))
        except KeyError as err:
            problems.append(Problem(path, f"missing key {err}", line=line_no))
        except TypeError:
            problems.append(Problem(path, "`pattern` must be a string regex", line=line_no))
        except re.error as err:
            problems.append(Problem(path, f"bad regex: {err}", line=line_no, offset=err.pos))
    if problems:
        raise ChipNerError("Invalid boilerplate rules", problems)
    return rules


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of every non-blank line, without surrounding whitespace, a leading bullet or
    the file's BOM; any line ending splits, so offsets index the seed exactly as decoded."""
    spans = []
    pos = 0
    for match in [*LINE_END.finditer(text), None]:
        start = pos
        end = match.start() if match else len(text)
        pos = match.end() if match else len(text)
        if start == 0 and text.startswith(BOM):
            start = 1
        while start < end and (text[start].isspace() or text[start] in LEADING_BULLETS):
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append((start, end))
    return spans


def repair(text: str, counts: Counter) -> str:
    """Undo the conversion artefacts; `counts` gets the number of fixes per rule."""
    text, n = PINYIN.subn("", text)
    counts["pinyin"] += n
    for bad, good in MOJIBAKE.items():
        counts["mojibake_quote"] += text.count(bad)
        text = text.replace(bad, good)
    text, n = HTML_REMNANT.subn("", text)
    counts["html_remnant"] += n
    text, n = LONE_QUESTION_MARK.subn(" ", text)
    counts["question_mark_space"] += n
    return text.strip()


def is_counter(text: str) -> bool:
    """View or comment counters such as `5.1k`."""
    return re.fullmatch(r"\d+(?:\.\d+)?[kKwW万]?", text) is not None


def has_punctuation(text: str) -> bool:
    return any(unicodedata.category(c).startswith("P") for c in text)


def boilerplate_category(texts: list[str], i: int, rules: list[BoilerplateRule]) -> Optional[str]:
    """The boilerplate category of paragraph `i`, or None when it is article text."""
    text = texts[i]
    for rule in rules:
        if rule.pattern.search(text):
            return rule.category
    if is_counter(text):
        return "counter"
    # A tag name shown above its counter (`微软` / `5.1k`) is part of a tag list.
    next_text = texts[i + 1] if i + 1 < len(texts) else ""
    if len(text) <= 8 and not has_punctuation(text) and is_counter(next_text):
        return "tag_list"
    return None


def duplicate_key(text: str) -> str:
    """Text without leading symbols: `🤔 虽然…` and `💡 虽然…` are the same paragraph."""
    i = 0
    while i < len(text) and (unicodedata.category(text[i])[0] in "SZ" or text[i].isspace()):
        i += 1
    return text[i:]


def clean_article(seed_path: Path, rules: list[BoilerplateRule], report: CleanReport,
                  seen: dict[str, str], dropped: list[dict[str, Any]], batch: str = "",
                  meta_path: Optional[Path] = None) -> list[Paragraph]:
    """`meta_path` (written articles): the sidecar with a record per paragraph line."""
    raw = read_seed(seed_path, report)
    article = seed_path.name.split("_")[0]
    spans = split_paragraphs(raw)
    lines = paragraph_lines(raw, spans)
    meta = None if meta_path is None else read_meta(meta_path, seed_path, lines)
    texts = []
    repair_counts = []
    for start, end in spans:
        counts: Counter = Counter()
        texts.append(repair(raw[start:end], counts))
        repair_counts.append(sum(counts.values()))
        report.repairs.update(counts)
    paragraphs = []
    for i, ((start, end), text) in enumerate(zip(spans, texts)):
        pid = f"{article}-p{i:03d}"
        reason = boilerplate_category(texts, i, rules)
        if reason is None and not text:
            reason = "empty_after_repair"
        if reason is None and duplicate_key(text) in seen:
            reason = f"duplicate of {seen[duplicate_key(text)]}"
        if reason is not None:
            report.dropped[reason.split(" of ")[0]] += 1
            dropped.append({"id": pid, "article": article, "reason": reason, "text": text,
                            "seed": seed_path.name, "start": start, "end": end})
            continue
        seen[duplicate_key(text)] = pid
        for match in UNREPAIRED.finditer(text):
            report.unrepaired.append(f"{pid} offset {match.start()}: {match.group()!r}")
        report.kept_per_article[article] += 1
        report.chars_per_article[article] += len(text)
        written = None if meta is None else meta[lines[i]]
        paragraphs.append(Paragraph(pid, article, seed_path.name, start, end, text, repair_counts[i], batch, written))
    return paragraphs


def paragraph_lines(text: str, spans: list[tuple[int, int]]) -> list[int]:
    """The 1-based line number of each paragraph span, counting every line ending `split_paragraphs` splits on."""
    ends = [match.end() for match in LINE_END.finditer(text)]
    return [bisect.bisect_right(ends, start) + 1 for start, _ in spans]


def read_meta(path: Path, text_path: Path, lines: list[int]) -> dict[int, dict[str, Any]]:
    """A written article's sidecar: exactly one record for each of its paragraph `lines`."""
    if not path.exists():
        raise ChipNerError("Written article without its meta file", [Problem(text_path, f"{path.name} is missing")],
                           "Write one {\"line\", \"fictional\", \"checked\"} record per paragraph line.")
    problems, meta, wanted = [], {}, set(lines)
    for line_no, record in read_jsonl(path):
        reason = meta_problem(record, wanted, meta)
        if reason:
            problems.append(Problem(path, reason, line=line_no))
        else:
            meta[record["line"]] = record
    missing = [n for n in lines if n not in meta]
    if missing and not problems:
        problems.append(Problem(path, f"no record for paragraph lines {missing[:10]} of {text_path.name}"))
    if problems:
        raise ChipNerError(f"Invalid meta file {path}", problems, "Fix the records named; nothing was written.")
    return meta


def meta_problem(record: dict[str, Any], lines: set[int], seen: dict[int, Any]) -> Optional[str]:
    line = record.get("line")
    if not is_offset(line) or line not in lines:
        return f"`line` {line!r} is not a paragraph line of the article"
    if line in seen:
        return f"line {line} has two records"
    if not isinstance(record.get("fictional"), bool):
        return f"line {line}: `fictional` must be true or false"
    checked = record.get("checked")
    if not isinstance(checked, list) or not all(isinstance(c, str) and c for c in checked):
        return f"line {line}: `checked` must be a list of page addresses"
    if not checked and not record["fictional"]:
        return f"line {line}: a paragraph stating real facts must name the pages they were checked against"
    return None


def read_batches(written_dir: Path, articles: list[str]) -> dict[str, str]:
    """written/batches.jsonl: `{"batch", "articles": [...], "topic"}`; every article in exactly one."""
    path = Path(written_dir) / "batches.jsonl"
    if not path.exists():
        raise ChipNerError("No topic batches for the written articles", [Problem(path, "missing")],
                           "List every written article in one batch (cross-validation holds out a batch).")
    batch_of, problems = {}, []
    for line_no, record in read_jsonl(path):
        if not isinstance(record.get("batch"), str) or not isinstance(record.get("articles"), list):
            problems.append(Problem(path, "needs a string `batch` and a list `articles`", line=line_no))
            continue
        for article in record["articles"]:
            if article in batch_of:
                problems.append(Problem(path, f"article {article!r} is in two batches", line=line_no))
            elif article not in articles:
                problems.append(Problem(path, f"article {article!r} has no file in {written_dir}", line=line_no))
            batch_of[article] = record["batch"]
    unbatched = [a for a in articles if a not in batch_of]
    if unbatched:
        problems.append(Problem(path, f"articles in no batch: {', '.join(unbatched)}"))
    if problems:
        raise ChipNerError(f"Invalid topic batches in {path}", problems, "Fix the lines named; nothing was written.")
    return batch_of


def read_seed(path: Path, report: CleanReport) -> str:
    """The seed's text. A converter's BOM and CR/CRLF line endings are repaired by the split
    and counted (only when present, so a clean corpus reports as before); a seed with no
    text is an error, or its article would silently vanish."""
    raw = read_utf8(path)
    if not raw.lstrip(BOM).strip():
        raise ChipNerError("Empty seed article", [Problem(path, "the seed has no text")],
                           "Restore the article's text, or remove the seed file.")
    if raw.startswith(BOM):
        report.repairs["bom"] += 1
    crlf, cr = raw.count("\r\n"), len(re.findall(r"\r(?!\n)", raw))
    if crlf:
        report.repairs["crlf_line_end"] += crlf
    if cr:
        report.repairs["cr_line_end"] += cr
    return raw


def seed_files(seeds_dir: Path) -> list[Path]:
    files = sorted(Path(seeds_dir).glob("*.txt"))
    if not files:
        raise ChipNerError("No seed articles found", [Problem(seeds_dir, "no *.txt files")],
                           "Copy the seed articles into seeds/ (see README).")
    return files


def clean(seeds_dir: Path, output: Path, *, dropped_output: Optional[Path] = None,
          boilerplate: Path = DEFAULT_BOILERPLATE, written_dir: Optional[Path] = None) -> CleanReport:
    """Clean every seed article (and written article) and write paragraphs (and the dropped
    ones, for audit)."""
    rules = load_boilerplate_rules(boilerplate)
    report = CleanReport()
    seen: dict[str, str] = {}
    dropped: list[dict[str, Any]] = []
    paragraphs: list[Paragraph] = []
    seeds = seed_files(seeds_dir)
    for path in seeds:
        paragraphs.extend(clean_article(path, rules, report, seen, dropped))
    if written_dir is not None:
        written = seed_files(written_dir)
        clash = {p.name.split("_")[0] for p in seeds} & {p.name.split("_")[0] for p in written}
        if clash:
            raise ChipNerError("Article ids used twice", [Problem(written_dir, f"{sorted(clash)} are seed articles too")],
                               "Number written articles from 101.")
        batch_of = read_batches(written_dir, [p.name.split("_")[0] for p in written])
        for path in written:
            paragraphs.extend(clean_article(path, rules, report, seen, dropped, batch_of[path.name.split("_")[0]],
                                            path.with_name(path.stem + ".meta.jsonl")))
    outputs = {output: jsonl_text(p.to_record() for p in paragraphs)}
    if dropped_output is not None:
        outputs[dropped_output] = jsonl_text(dropped)
    with atomic_paths(*outputs) as temps:  # kept and dropped replaced as one unit
        for tmp, text in zip(temps, outputs.values()):
            tmp.write_text(text, encoding="utf-8", newline="\n")
    return report

