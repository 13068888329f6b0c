"""Push paragraphs with suggested spans to doccano, like Prodigy's `ner.correct`.

Suggestions come from the gold, the patterns, or a trained pipeline. Pushing is idempotent:
an example whose paragraph id (in its meta) is already in the project is left alone, so a
reviewer's work is never overwritten. What was pushed is recorded in the base file, the
common ancestor that `pull` merges against.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .. import LABELS
from ..errors import ChipNerError, Problem
from ..records import Span, entity_spans, load_gold, load_paragraphs, split_ids
from .doccano_api import DoccanoAPI, utf16_offset
from .sync import base_record, load_base, write_base

Spans = list[Span]
SOURCES = ("patterns", "model", "gold")


@dataclass
class PushReport:
    project_id: int = 0
    created: int = 0
    existing: int = 0
    spans: Counter = field(default_factory=Counter)
    order: list[str] = field(default_factory=list)


def model_suggestions(model: str, texts: dict[str, str]) -> dict[str, Spans]:
    import spacy

    from .. import spacy_code  # noqa: F401  (registers what a project model's config names)

    try:
        nlp = spacy.load(model)
    except OSError as err:
        raise ChipNerError("Cannot load the model for suggestions", [Problem(model, str(err))],
                           "Train it first (spacy project run train) or pass an installed package name.") from None
    return dict(zip(texts, entity_spans(nlp, texts.values())))


def pattern_suggestions(patterns: Path, texts: dict[str, str]) -> dict[str, Spans]:
    from ..corpus.pre_annotate import build_pre_annotator

    return dict(zip(texts, entity_spans(build_pre_annotator(patterns), texts.values())))


def disagreement(a: Spans, b: Spans) -> float:
    """Share of spans two annotators (model, patterns) do not agree on: 0 = same, 1 = disjoint."""
    sa, sb = set(a), set(b)
    return len(sa ^ sb) / max(1, len(sa | sb))


def order_uncertain(ids: list[str], model_spans: dict[str, Spans], pattern_spans: dict[str, Spans]) -> list[str]:
    """Most model/pattern disagreement first; ties keep corpus order."""
    return sorted(ids, key=lambda pid: -disagreement(model_spans[pid], pattern_spans[pid]))


def select(paragraphs: dict[str, dict[str, Any]], articles: Optional[str], ids: Optional[str]) -> list[str]:
    chosen = list(paragraphs)
    if articles:
        wanted = set(split_ids(articles))
        chosen = [pid for pid in chosen if paragraphs[pid]["article"] in wanted]
    if ids:
        wanted_ids = split_ids(ids)
        unknown = [i for i in wanted_ids if i not in paragraphs]
        if unknown:
            raise ChipNerError("Unknown paragraph ids", [Problem("--ids", f"{', '.join(unknown)}")])
        chosen = [pid for pid in chosen if pid in wanted_ids]
    return chosen


def open_project(api: DoccanoAPI, name: str, guideline: str) -> int:
    project = api.find_project(name)
    if project is None:
        project = api.create_project(name, "chip-ner: CHIP, COMPANY, MONEY, PERSON in AI-chip news", guideline)
    api.ensure_labels(project["id"], LABELS)
    return project["id"]


def push(api: DoccanoAPI, project: str, paragraphs_path: Path, base_path: Path, *, source: str = "patterns",
         patterns: Optional[Path] = None, model: Optional[str] = None, gold: Optional[Path] = None,
         order: str = "corpus", articles: Optional[str] = None, ids: Optional[str] = None,
         limit: Optional[int] = None, guideline: str = "") -> PushReport:
    """Create the project (once), then one example per selected paragraph not yet in it."""
    if source not in SOURCES:
        raise ChipNerError("Unknown suggestion source", [Problem("--source", f"{source!r}; expected one of {SOURCES}")])
    if (source == "model" or order == "uncertain") and not model:
        raise ChipNerError("A model is needed", [Problem("--model", f"--source {source} --order {order} needs --model")],
                           "Pass --model training/<config>/model-best or zh_chip_ner.")
    paragraphs = load_paragraphs(paragraphs_path)
    chosen = select(paragraphs, articles, ids)
    texts = {pid: paragraphs[pid]["text"] for pid in chosen}
    if source == "gold":
        by_id = {r.id: r.spans for r in load_gold(gold, paragraphs_path, require_all=False)}
        suggestions = {pid: by_id.get(pid, []) for pid in chosen}
    elif source == "model":
        suggestions = model_suggestions(model, texts)
    else:
        suggestions = pattern_suggestions(patterns, texts)
    if order == "uncertain":
        pattern_spans = suggestions if source == "patterns" else pattern_suggestions(patterns, texts)
        model_spans = suggestions if source == "model" else model_suggestions(model, texts)
        chosen = order_uncertain(chosen, model_spans, pattern_spans)
    if limit is not None:
        chosen = chosen[:limit]

    api.login()
    report = PushReport(project_id=open_project(api, project, guideline), order=chosen)
    labels = api.span_types(report.project_id)
    in_project = {e["meta"].get("id") for e in api.examples(report.project_id) if isinstance(e.get("meta"), dict)}
    base = load_base(base_path)
    try:
        for pid in chosen:
            if pid in in_project:
                report.existing += 1
                continue
            text = texts[pid]
            example = api.create_example(report.project_id, text, {"id": pid, "article": paragraphs[pid]["article"],
                                                                   "source": source})
            for start, end, label in suggestions[pid]:
                api.create_span(report.project_id, example["id"], utf16_offset(text, start), utf16_offset(text, end),
                                labels[label])
                report.spans[label] += 1
            base[pid] = base_record(pid, text, suggestions[pid], project)
            report.created += 1
    finally:
        write_base(base_path, base)  # records every example that reached doccano, even if a later one failed
    return report
