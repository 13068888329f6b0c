"""Inter-annotator agreement between two independent annotations of the same paragraphs.

Reports exact-span F1 per label (one annotator taken as reference; F1 is symmetric) and
Cohen's kappa over characters (BIO-free: each character's label, or O), plus every
disagreement, classified, so that each one can be adjudicated.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sklearn.metrics import cohen_kappa_score
from spacy.scorer import PRFScore

from .. import LABELS
from ..errors import ChipNerError, Problem
from ..records import GoldRecord, Span, load_gold, load_paragraphs, show_span


@dataclass
class Disagreement:
    id: str
    kind: str  # only_a, only_b, label, boundary
    a: list[Span]
    b: list[Span]
    text: str

    def describe(self) -> str:
        def show(spans: list[Span]) -> str:
            return ", ".join(show_span(self.text, span) for span in spans) or "none"
        return f"{self.id} {self.kind}: A {show(self.a)} | B {show(self.b)}"


@dataclass
class AgreementReport:
    paragraphs: int = 0
    true_positive: Counter = field(default_factory=Counter)
    only_a: Counter = field(default_factory=Counter)
    only_b: Counter = field(default_factory=Counter)
    kappa: float = 0.0
    disagreements: list[Disagreement] = field(default_factory=list)
    by_source: dict[str, "AgreementReport"] = field(default_factory=dict)  # seeds / written, when both

    def f1(self, label: str | None = None) -> float:
        """Span F1 with A as reference (symmetric); two annotators who both marked nothing agree."""
        labels = [label] if label else list(LABELS)
        score = PRFScore(tp=sum(self.true_positive[l] for l in labels), fp=sum(self.only_b[l] for l in labels),
                         fn=sum(self.only_a[l] for l in labels))
        return score.fscore if score.tp + score.fp + score.fn else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "paragraphs": self.paragraphs,
            "span_f1": round(self.f1(), 4),
            "span_f1_per_label": {label: round(self.f1(label), 4) for label in LABELS},
            "char_kappa": round(self.kappa, 4),
            "spans_a": {l: self.true_positive[l] + self.only_a[l] for l in LABELS},
            "spans_b": {l: self.true_positive[l] + self.only_b[l] for l in LABELS},
            "disagreements": Counter(d.kind for d in self.disagreements),
            **({"by_source": {name: part.to_dict() for name, part in self.by_source.items()}} if self.by_source else {}),
        }


def char_labels(text: str, spans: list[Span]) -> list[str]:
    labels = ["O"] * len(text)
    for start, end, label in spans:
        labels[start:end] = [label] * (end - start)
    return labels


def classify(record_id: str, text: str, a: list[Span], b: list[Span]) -> list[Disagreement]:
    """Group the unmatched spans of both sides into overlapping clusters and name each cluster."""
    a_left = [s for s in a if s not in b]
    b_left = [s for s in b if s not in a]
    result = []
    used_b: set[Span] = set()
    for span in a_left:
        partners = [o for o in b_left if o[0] < span[1] and span[0] < o[1]]
        used_b.update(partners)
        if not partners:
            result.append(Disagreement(record_id, "only_a", [span], [], text))
        elif len(partners) == 1 and partners[0][:2] == span[:2]:
            result.append(Disagreement(record_id, "label", [span], partners, text))
        else:
            result.append(Disagreement(record_id, "boundary", [span], partners, text))
    for span in b_left:
        if span not in used_b:
            result.append(Disagreement(record_id, "only_b", [], [span], text))
    return result


def compare(records_a: list[GoldRecord], records_b: list[GoldRecord]) -> AgreementReport:
    """Agreement on the paragraphs both annotators did."""
    by_id_b = {r.id: r for r in records_b}
    report = AgreementReport()
    chars_a: list[str] = []
    chars_b: list[str] = []
    for rec_a in records_a:
        rec_b = by_id_b.get(rec_a.id)
        if rec_b is None:
            continue
        report.paragraphs += 1
        spans_a, spans_b = set(rec_a.spans), set(rec_b.spans)
        for _, _, label in spans_a & spans_b:
            report.true_positive[label] += 1
        for _, _, label in spans_a - spans_b:
            report.only_a[label] += 1
        for _, _, label in spans_b - spans_a:
            report.only_b[label] += 1
        report.disagreements.extend(classify(rec_a.id, rec_a.text, sorted(spans_a), sorted(spans_b)))
        chars_a.extend(char_labels(rec_a.text, rec_a.spans))
        chars_b.extend(char_labels(rec_b.text, rec_b.spans))
    report.kappa = float(cohen_kappa_score(chars_a, chars_b)) if chars_a else 0.0
    return report


def agreement(annotations_a: Path, annotations_b: Path, paragraphs: Path) -> AgreementReport:
    """Load two annotation files (validated like gold) and compare them; with no paragraph in
    common there is nothing to agree on, and a vacuous F1 1.000 must not replace a real report."""
    records_a = load_gold(annotations_a, paragraphs, require_all=False)
    records_b = load_gold(annotations_b, paragraphs, require_all=False)
    report = compare(records_a, records_b)
    source = {pid: p.get("source", "seeds") for pid, p in load_paragraphs(paragraphs).items()}
    names = sorted({source[r.id] for r in records_a})
    if len(names) > 1:  # the seed articles and the articles written for the project, apart as well
        report.by_source = {name: compare([r for r in records_a if source[r.id] == name], records_b) for name in names}
    if not report.paragraphs:
        raise ChipNerError("No paragraph annotated by both annotators",
                           [Problem(annotations_b, f"no meta.id in common with {annotations_a}")],
                           "Compare two annotations of the same paragraphs.")
    return report
