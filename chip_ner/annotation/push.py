"""Push paragraphs with suggested spans to doccano, like Prodigy's `ner.correct`.

Suggestions come from the gold, the patterns, or a trained pipeline. Pushing is idempotent:
an example whose paragraph id (in its meta) is already in the project is left alone, so a
reviewer's work is never overwritten. What was pushed is recorded in the base file, the
common ancestor that `pull` merges against, only once the example's spans are all stored; an
example an interrupted push left half-made is finished on the next push.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .. import LABELS
from ..errors import ChipNerError, Problem
from ..records import Span, entity_spans, load_gold, load_paragraphs, split_ids
from .doccano_api import DoccanoAPI, codepoint_offset, utf16_offset
from .sync import PENDING, SyncState, base_record, describes, synced_spans

Spans = list[Span]
SOURCES = ("patterns", "model", "gold")


@dataclass
class PushReport:
    project_id: int = 0
    created: int = 0
    existing: int = 0
    resumed: int = 0
    unsynced: list[str] = field(default_factory=list)
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
                           "Pass --model training/<config>/model-last or zh_chip_ner.")
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
    in_project = {e["meta"].get("id"): e for e in api.examples(report.project_id) if isinstance(e.get("meta"), dict)}
    state = SyncState(base_path)
    try:
        for pid in chosen:
            example, record = in_project.get(pid), state.get(pid)
            if example is None:
                create(api, state, report, labels, project, pid, texts[pid], suggestions[pid],
                       {"id": pid, "article": paragraphs[pid]["article"], "source": source})
            elif synced_spans(record, api.url, project, example["id"]) is not None:
                report.existing += 1
            elif not resume(api, state, report, labels, project, example, record):
                report.unsynced.append(pid)
    finally:
        state.compact()  # one record per paragraph, whatever happened above
    return report


def create(api: DoccanoAPI, state: SyncState, report: PushReport, labels: dict[str, int], project: str, pid: str,
           text: str, spans: Spans, meta: dict[str, Any]) -> None:
    """One example and its spans, journalled: `pending` before anything reaches doccano, `synced`
    after the last span is stored, so an interrupted push is resumed, never taken as a review."""
    state.record(base_record(pid, text, spans, project, server=api.url, example=None, state=PENDING))
    example = api.create_example(report.project_id, text, meta)
    store_spans(api, report, labels, text, example["id"], spans)
    state.record(base_record(pid, text, spans, project, server=api.url, example=example["id"]))
    report.created += 1


def store_spans(api: DoccanoAPI, report: PushReport, labels: dict[str, int], text: str, example_id: int,
                spans: Spans) -> None:
    for start, end, label in spans:
        api.create_span(report.project_id, example_id, utf16_offset(text, start), utf16_offset(text, end),
                        labels[label])
        report.spans[label] += 1


def resume(api: DoccanoAPI, state: SyncState, report: PushReport, labels: dict[str, int], project: str,
           example: dict[str, Any], record: Optional[dict[str, Any]]) -> bool:
    """Finish an example an interrupted push left half-made (its spans a part of what was being
    pushed, and nobody marked it done); False if it is anything else, which is left alone."""
    if not describes(record, api.url, project, example["id"]) or record.get("state") != PENDING \
            or example.get("is_confirmed"):
        return False
    text, intended = example["text"], [tuple(s) for s in record["label"]]
    if text != record["text"]:
        return False
    names = {label_id: name for name, label_id in labels.items()}
    stored = {(codepoint_offset(text, s["start_offset"]), codepoint_offset(text, s["end_offset"]), names.get(s["label"]))
              for s in api.spans(report.project_id, example["id"])}
    if not stored <= set(intended):
        return False
    store_spans(api, report, labels, text, example["id"], [s for s in intended if s not in stored])
    state.record(base_record(record["id"], text, intended, project, server=api.url, example=example["id"]))
    report.resumed += 1
    return True
