"""Baselines on the same held-out articles and the same scorer as the cross-validation.

- patterns: the project's `configs/patterns.jsonl` + the MONEY matcher, nothing learned. The
  patterns were curated by hand from industry knowledge and the guidelines' examples, not
  extracted from the gold, but their curator had read the articles. So the list is rebuilt per
  fold: a pattern whose text is a gold mention of the held-out article and of no other article
  is removed when scoring that article (`patterns`); the list as curated is reported too, as an
  optimistic bound (`patterns_as_curated`).
- jieba: `jieba.posseg` tags `nr` -> PERSON, `nt` -> COMPANY, plus the same MONEY matcher,
  which is what a user might otherwise reach for.
Neither learns from data, so one pass over every paragraph serves all folds.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Optional

from ..errors import ChipNerError, Problem
from ..io import write_jsonl
from ..pipeline.money import find_money
from ..records import (
    GoldRecord,
    Span,
    entity_spans,
    fold_patterns,
    load_gold,
    load_patterns,
)

JIEBA_LABELS = {"nr": "PERSON", "nrfg": "PERSON", "nt": "COMPANY"}


def tagged_spans(text: str, words: Iterable[tuple[str, str]], labels: dict[str, str]) -> list[Span]:
    """Spans of the words a POS tagger gave a tag in `labels`, found in order in `text`; a word
    that is not in the text (a tagger that rewrote it) is an error, not a skipped name."""
    spans, pos = [], 0
    for word, tag in words:
        start = text.find(word, pos)
        if start < 0:
            raise ChipNerError("A tagger's word is not in the text", [Problem("tagger", f"{word!r} not found in {text!r}")])
        pos = start + len(word)
        if tag in labels and word.strip():
            spans.append((start, pos, labels[tag]))
    return spans


def jieba_entities(text: str) -> list[Span]:
    """Entities from jieba's POS tags plus MONEY, longest first where they overlap."""
    import jieba.posseg

    spans = tagged_spans(text, ((pair.word, pair.flag) for pair in jieba.posseg.dt.cut(text)), JIEBA_LABELS)
    spans += [(s, e, "MONEY") for s, e in find_money(text)]
    return non_overlapping(spans)


def non_overlapping(spans: list[Span]) -> list[Span]:
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        if all(span[1] <= k[0] or span[0] >= k[1] for k in kept):
            kept.append(span)
    return sorted(kept)


def pattern_entities(records: list[GoldRecord], patterns: list[dict[str, Any]]) -> list[list[Span]]:
    from ..corpus.pre_annotate import build_pre_annotator_from

    return entity_spans(build_pre_annotator_from(patterns), (r.text for r in records))


def per_fold_pattern_entities(records: list[GoldRecord], patterns: list[dict[str, Any]]) -> list[list[tuple]]:
    """Each article predicted with the patterns rebuilt for its fold."""
    by_id = {}
    for article in sorted({r.fold for r in records}):
        held = [r for r in records if r.fold == article]
        by_id.update(zip((r.id for r in held), pattern_entities(held, fold_patterns(patterns, records, article))))
    return [by_id[r.id] for r in records]


def prediction_records(records: list[GoldRecord], spans: list[list[Span]]) -> list[dict[str, Any]]:
    return [{"id": r.id, "article": r.article, "fold": r.fold, "label": [list(s) for s in pred]}
            for r, pred in zip(records, spans)]


def predict_baselines(gold: Path, paragraphs: Path, patterns: Path, patterns_output: Path, jieba_output: Path, *,
                      curated_output: Optional[Path] = None) -> int:
    """Write the predictions of the baselines for every gold paragraph; returns the count."""
    records = load_gold(gold, paragraphs)
    pattern_list = load_patterns(patterns)
    write_jsonl(patterns_output, prediction_records(records, per_fold_pattern_entities(records, pattern_list)))
    if curated_output is not None:
        write_jsonl(curated_output, prediction_records(records, pattern_entities(records, pattern_list)))
    write_jsonl(jieba_output, prediction_records(records, [jieba_entities(r.text) for r in records]))
    return len(records)
