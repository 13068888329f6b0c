"""Rule-based suggestions for the reviewers: entity_ruler patterns + the MONEY matcher.

The suggestions are only a start for the human review that produces the gold; they are
written as doccano JSONL so they can be imported into doccano as they are.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from ..errors import ChipNerError, Problem
from ..io import write_jsonl
from ..pipeline import money  # noqa: F401  (registers the chip_ner_money factory)
from ..records import load_paragraphs, load_patterns


def is_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


@Language.component("chip_ner_word_boundaries")
def keep_whole_latin_words(doc: Doc) -> Doc:
    """Drop matches that cut a Latin word or number (`Meta` in `Metaverse`): with character
    tokens the phrase matcher cannot see word boundaries by itself."""
    text = doc.text
    kept = []
    for ent in doc.ents:
        cuts_left = ent.start_char > 0 and is_word_char(text[ent.start_char - 1]) and is_word_char(text[ent.start_char])
        cuts_right = ent.end_char < len(text) and is_word_char(text[ent.end_char - 1]) and is_word_char(text[ent.end_char])
        if not (cuts_left or cuts_right):
            kept.append(ent)
    doc.ents = kept
    return doc


def build_pre_annotator(patterns_path: Path) -> Language:
    """Blank Chinese pipeline with character tokens, so every pattern offset aligns."""
    return build_pre_annotator_from(load_patterns(patterns_path))


def build_pre_annotator_from(patterns: list[dict[str, Any]]) -> Language:
    nlp = spacy.blank("zh")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(patterns)
    nlp.add_pipe("chip_ner_word_boundaries")
    nlp.add_pipe("chip_ner_money")
    return nlp


def doc_to_record(doc: Doc, paragraph: dict[str, Any], source: str) -> dict[str, Any]:
    return {
        "text": doc.text,
        "label": [[ent.start_char, ent.end_char, ent.label_] for ent in doc.ents],
        "meta": {"id": paragraph["id"], "article": paragraph["article"], "source": source},
    }


@dataclass
class PreAnnotateReport:
    per_label: Counter = field(default_factory=Counter)
    per_article: Counter = field(default_factory=Counter)
    paragraphs: int = 0


def pre_annotate(paragraphs_path: Path, patterns_path: Path, output: Path) -> PreAnnotateReport:
    """Suggest spans for every cleaned paragraph and write them as doccano JSONL."""
    paragraphs = list(load_paragraphs(paragraphs_path).values())
    nlp = build_pre_annotator(patterns_path)
    report = PreAnnotateReport()
    records = []
    problems = []
    for paragraph, doc in zip(paragraphs, nlp.pipe(p["text"] for p in paragraphs)):
        for start, end, label in doc.user_data.get("chip_ner_misaligned", []):
            problems.append(Problem(paragraphs_path, f"{paragraph['id']}: {label} match {doc.text[start:end]!r} "
                                                     "does not align with token boundaries", offset=start))
        record = doc_to_record(doc, paragraph, source="patterns")
        records.append(record)
        report.paragraphs += 1
        for _, _, label in record["label"]:
            report.per_label[label] += 1
            report.per_article[(paragraph["article"], label)] += 1
    if problems:
        raise ChipNerError("Suggestions that do not align with tokens", problems)
    write_jsonl(output, records)
    return report
