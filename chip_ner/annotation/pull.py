"""Pull reviewed spans from doccano and merge them into the gold, three-way.

For every span position, the state doccano had when we last synced (the base), the local gold
and doccano now are compared: changed only in doccano -> taken; changed only locally -> kept;
changed on both sides differently -> a conflict, reported with both versions. Nothing is
written while a conflict or an invalid span remains (`prefer` picks a side for conflicts).
A paragraph with no base record is merged only where gold and doccano agree (the base is
rebuilt from them) or where `unsynced` picks a side: otherwise doccano's unreviewed
suggestions would count as a reviewer's edits.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..errors import ChipNerError, Problem
from ..io import atomic_paths, read_jsonl, write_jsonl
from ..records import (
    Span,
    checked_spans,
    load_gold,
    load_paragraphs,
    show_span,
    text_mismatch,
)
from .doccano_api import DoccanoAPI, codepoint_offset
from .sync import PENDING, base_record, load_base, synced_spans, write_base


@dataclass
class Conflict:
    id: str
    text: str
    base: Optional[Span]
    local: Optional[Span]
    remote: Optional[Span]

    def __str__(self) -> str:
        return (f"{self.id}: local {show_span(self.text, self.local)} vs doccano {show_span(self.text, self.remote)} "
                f"(was {show_span(self.text, self.base)})")


@dataclass
class PullReport:
    examples: int = 0
    added: Counter = field(default_factory=Counter)
    removed: Counter = field(default_factory=Counter)
    relabelled: Counter = field(default_factory=Counter)
    conflicts: list[Conflict] = field(default_factory=list)
    confirmed: int = 0
    new_records: int = 0
    adopted: int = 0  # no base, but gold and doccano agree: the base is rebuilt from them
    chosen: int = 0  # no base, and --unsynced chose the side


def index(spans: list[Span]) -> dict[tuple[int, int], str]:
    return {(s, e): label for s, e, label in spans}


def merge_spans(pid: str, text: str, base: list[Span], local: list[Span], remote: list[Span],
                prefer: Optional[str], report: PullReport) -> list[Span]:
    """Three-way merge by span position (start, end); the label (or absence) is the value."""
    b, lo, r = index(base), index(local), index(remote)
    merged: dict[tuple[int, int], tuple[str, str]] = {}  # position -> (label, side it came from)
    for key in sorted(set(b) | set(lo) | set(r)):
        bv, lv, rv = b.get(key), lo.get(key), r.get(key)
        if lv == rv:
            value, side = lv, "both"
        elif lv == bv:
            value, side = rv, "remote"
            count_remote_change(bv, rv, report)
        elif rv == bv:
            value, side = lv, "local"
        else:
            conflict = Conflict(pid, text, (*key, bv) if bv else None, (*key, lv) if lv else None, (*key, rv) if rv else None)
            if prefer is None:
                report.conflicts.append(conflict)
            value, side = (rv, "remote") if prefer == "remote" else (lv, "local")
            if prefer == "remote":
                count_remote_change(lv, rv, report)
        if value:
            merged[key] = (value, side)
    return resolve_overlaps(pid, text, merged, prefer, report)


def count_remote_change(before: Optional[str], after: Optional[str], report: PullReport) -> None:
    if before is None and after is not None:
        report.added[after] += 1
    elif before is not None and after is None:
        report.removed[before] += 1
    elif before != after:
        report.relabelled[after] += 1


def resolve_overlaps(pid: str, text: str, merged: dict[tuple[int, int], tuple[str, str]], prefer: Optional[str],
                     report: PullReport) -> list[Span]:
    """Both sides moved a boundary differently: the result overlaps, which is a conflict too."""
    spans = sorted(merged.items())
    keep = []
    for (start, end), (label, side) in spans:
        if keep and start < keep[-1][0][1]:
            (ps, pe), (pl, pside) = keep[-1]
            local_one = ((ps, pe, pl) if pside != "remote" else (start, end, label))
            remote_one = ((start, end, label) if side == "remote" else (ps, pe, pl))
            if prefer is None:
                report.conflicts.append(Conflict(pid, text, None, local_one, remote_one))
                keep.append(((start, end), (label, side)))
                continue
            winner = remote_one if prefer == "remote" else local_one
            keep[-1] = ((winner[0], winner[1]), (winner[2], prefer))
            continue
        keep.append(((start, end), (label, side)))
    return [(s, e, label) for (s, e), (label, _) in keep]


def remote_records(api: DoccanoAPI, project_id: int, paragraphs: dict[str, dict[str, Any]],
                   problems: list[Problem]) -> dict[str, dict[str, Any]]:
    """Every example of the project as {text, spans (code points), confirmed}, checked like gold."""
    labels = {label_id: name for name, label_id in api.span_types(project_id).items()}
    records = {}
    for example in api.examples(project_id):
        where = f"doccano example {example['id']}"
        pid = (example.get("meta") or {}).get("id")
        if pid not in paragraphs:
            problems.append(Problem(where, f"meta.id {pid!r} is not a cleaned paragraph id"))
            continue
        text = example["text"]
        mismatch = text_mismatch(where, None, pid, text, paragraphs[pid]["text"])
        if mismatch:
            mismatch.reason += " (the text was edited in doccano; annotations must keep the cleaned text)"
            problems.append(mismatch)
            continue
        raw = []
        for span in api.spans(project_id, example["id"]):
            start, end = codepoint_offset(text, span["start_offset"]), codepoint_offset(text, span["end_offset"])
            label = labels.get(span["label"])
            if start is None or end is None:
                problems.append(Problem(where, f"{pid}: span [{span['start_offset']}, {span['end_offset']}) (UTF-16) "
                                               "is outside the text or splits a character"))
                continue
            raw.append([start, end, label])
        spans = checked_spans(where, None, pid, text, raw, problems)
        records[pid] = {"text": text, "spans": spans, "confirmed": bool(example.get("is_confirmed")),
                        "example": example["id"]}
    return records


def pull(api: DoccanoAPI, project: str, gold_path: Path, paragraphs_path: Path, base_path: Path, *,
         prefer: Optional[str] = None, unsynced: Optional[str] = None) -> PullReport:
    """Merge doccano's spans into the gold; write gold and base only if everything is clean."""
    for option, value in (("--prefer", prefer), ("--unsynced", unsynced)):
        if value not in (None, "local", "remote"):
            raise ChipNerError(f"Invalid {option}", [Problem(option, f"{value!r}; expected local or remote")])
    paragraphs = load_paragraphs(paragraphs_path)
    api.login()
    found = api.find_project(project)
    if found is None:
        raise ChipNerError("doccano: unknown project", [Problem(api.url, f"no project named {project!r}")],
                           "Push first: spacy project run push")
    problems: list[Problem] = []
    remote = remote_records(api, found["id"], paragraphs, problems)
    if problems:
        raise ChipNerError("doccano holds annotations that cannot be merged", problems,
                           "Fix them in doccano (or the paragraph ids named); nothing was written.")
    gold_records = {r.id: r for r in load_gold(gold_path, paragraphs_path, require_all=False)}
    raw_gold = {record["meta"]["id"]: record for _, record in read_jsonl(gold_path)} if Path(gold_path).exists() else {}
    base = load_base(base_path)
    report = PullReport(examples=len(remote))
    merged: dict[str, list[Span]] = {}
    for pid, state in remote.items():
        local = gold_records[pid].spans if pid in gold_records else None
        base_spans = synced_spans(base.get(pid), api.url, project, state["example"])
        if base_spans is None:
            chosen = unsynced_side(pid, state, local, base.get(pid), base_path, unsynced, report, problems)
            if chosen is not None:
                merged[pid] = chosen
            continue
        local = base_spans if local is None else local
        merged[pid] = merge_spans(pid, state["text"], base_spans, local, state["spans"], prefer, report)
    if problems:
        raise ChipNerError(f"{len(problems)} paragraphs in doccano have no sync record to merge against",
                           problems, "Nothing was written. Rerun with --unsynced remote to take doccano's spans for "
                                     "them, or --unsynced local to keep the gold's (see README, pull).")
    if report.conflicts:
        raise ChipNerError(f"{len(report.conflicts)} spans were changed both locally and in doccano",
                           [Problem(gold_path, str(c)) for c in report.conflicts],
                           "Nothing was written. Resolve them, or rerun with --prefer local|remote.")
    with atomic_paths(gold_path, base_path) as (gold_tmp, base_tmp):  # gold and base change together or not at all
        write_jsonl(gold_tmp, updated_gold(paragraphs, raw_gold, merged, remote, report))
        for pid, state in remote.items():
            base[pid] = base_record(pid, state["text"], state["spans"], project, server=api.url,
                                    example=state["example"])
        write_base(base_tmp, base)
    return report


def unsynced_side(pid: str, state: dict[str, Any], local: Optional[list[Span]], record: Optional[dict[str, Any]],
                  base_path: Path, unsynced: Optional[str], report: PullReport,
                  problems: list[Problem]) -> Optional[list[Span]]:
    """A paragraph with no base: which of doccano's spans a reviewer made and which are unreviewed
    suggestions cannot be told, so it is merged only where both sides already agree, or where the
    user chose a side (None: the gold stays as it is; the base records doccano's state either way)."""
    remote = state["spans"]
    if local is not None and sorted(local) == sorted(remote):
        report.adopted += 1
        return remote
    if unsynced is not None:
        report.chosen += 1
        if unsynced == "local":
            return None
        before, after = index(local or []), index(remote)
        for key in sorted(set(before) | set(after)):
            count_remote_change(before.get(key), after.get(key), report)
        return remote
    why = ("push was interrupted before all its spans were stored (run push again: it finishes the example)"
           if record is not None and record.get("state") == PENDING else
           "no sync record describes doccano example " + str(state["example"]) + " (pushed from another clone, "
           "another server, or the base file was lost)")
    problems.append(Problem(base_path, f"{pid}: {why}; gold has {len(local or [])} spans, doccano "
                                       f"{len(remote)}, and they differ"))
    return None


def updated_gold(paragraphs: dict[str, dict[str, Any]], raw_gold: dict[str, dict[str, Any]],
                 merged: dict[str, list[Span]], remote: dict[str, dict[str, Any]], report: PullReport) -> list[dict]:
    """Gold records in paragraph order: merged spans where doccano had the paragraph, the rest as they were."""
    records = []
    for pid, paragraph in paragraphs.items():
        record = raw_gold.get(pid)
        if pid in merged:
            meta = dict(record["meta"]) if record else {"id": pid, "article": paragraph["article"]}
            meta["doccano_confirmed"] = remote[pid]["confirmed"]
            report.confirmed += remote[pid]["confirmed"]
            report.new_records += record is None
            record = {"text": paragraph["text"], "label": [list(s) for s in merged[pid]], "meta": meta}
        if record is not None:
            records.append(record)
    return records
