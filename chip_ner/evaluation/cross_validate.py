"""Leave-one-article-out cross-validation, and a learning curve on the same folds.

Each fold trains a fresh pipeline from the project's config on four articles and predicts the
fifth. Nothing from the held-out article is seen in training or model selection: the fold's
"dev" set during training is its own training data (for logging only) and the last model is
used, not the best on any held-out data.
"""
from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from sklearn.model_selection import LeaveOneGroupOut
from spacy.tokens import DocBin
from spacy.util import load_config
from wasabi import msg

from ..corpus.convert import (
    ConvertReport,
    record_to_doc,
    tokenizer_from_config,
    write_docbin,
)
from ..errors import ChipNerError
from ..io import write_jsonl
from ..records import GoldRecord, fold_patterns, load_gold, load_patterns
from .training import train_pipeline

FRACTIONS = (0.25, 0.5, 0.75, 1.0)


@dataclass
class CrossValReport:
    folds: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """What `crossval.json` records: the settings as run, so the report states them, not guesses."""
        return {**self.settings, "runs": len(self.folds), "minutes": round(self.seconds / 60, 1), "folds": self.folds}


def article_folds(records: list[GoldRecord]) -> list[tuple[str, list[GoldRecord], list[GoldRecord]]]:
    """(held-out article, train records, test records) for every article, via LeaveOneGroupOut."""
    groups = [r.article for r in records]
    folds = []
    for train_idx, test_idx in LeaveOneGroupOut().split(records, groups=groups):
        held_out = records[test_idx[0]].article
        folds.append((held_out, [records[i] for i in train_idx], [records[i] for i in test_idx]))
    return folds


def subsample(records: list[GoldRecord], fraction: float, seed: int = 0) -> list[GoldRecord]:
    """A fixed random share of the training paragraphs (the same seed for every fold)."""
    if fraction >= 1.0:
        return list(records)
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)
    return sorted(shuffled[:max(1, round(len(shuffled) * fraction))], key=lambda r: (r.article, r.id))


def train_on(config: Path, records: list[GoldRecord], workdir: Path, max_steps: Optional[int], gold_path: Path,
             extra_overrides: Optional[dict[str, Any]] = None):
    """Train a fresh pipeline on `records`; returns the loaded last model."""
    import spacy

    nlp = tokenizer_from_config(config)
    report = ConvertReport()
    docbin = DocBin(store_user_data=True)
    for record in records:
        docbin.add(record_to_doc(nlp, record, gold_path, allow_misaligned=False, report=report))
    if report.misaligned:
        raise ChipNerError(f"{len(report.misaligned)} gold spans do not align with the tokenizer of {config}",
                           report.misaligned, "Run `spacy project run convert` to see them in context.")
    train_path = workdir / "train.spacy"
    write_docbin(docbin, train_path)
    overrides = dict(extra_overrides or {})
    if max_steps is not None:
        overrides["training.eval_frequency"] = max(max_steps // 2, 1)
    train_pipeline(config, workdir / "model", train_path, train_path, max_steps=max_steps, overrides=overrides)
    return spacy.load(workdir / "model" / "model-last")


def predict(nlp, records: list[GoldRecord], fold: str, extra: Optional[dict[str, Any]] = None) -> list[dict[str, Any]]:
    docs = nlp.pipe(r.text for r in records)
    return [{"id": r.id, "article": r.article, "fold": fold, **(extra or {}),
             "label": [[e.start_char, e.end_char, e.label_] for e in doc.ents]} for r, doc in zip(records, docs)]


def fold_pattern_overrides(config: Path, patterns: Optional[list[dict[str, Any]]], fold_dir: Path) -> dict[str, Any]:
    """A config that reads `paths.patterns` gets the fold's patterns: those that only the held-out
    article's gold could have suggested are removed (see predict_baselines.fold_patterns)."""
    if patterns is None or "patterns" not in load_config(config, interpolate=False).get("paths", {}):
        return {}
    path = fold_dir / "patterns.jsonl"
    write_jsonl(path, patterns)
    return {"paths.patterns": str(path)}


def run_job(config: Path, gold: Path, workdir: Path, max_steps: Optional[int], held_out: str, fraction: float,
            train_records: list[GoldRecord], test_records: list[GoldRecord],
            patterns: Optional[list[dict[str, Any]]] = None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One training run: a fold (held-out article) at one training fraction."""
    start = time.perf_counter()
    subset = subsample(train_records, fraction)
    fold_dir = Path(workdir) / f"{held_out}-{int(fraction * 100)}"
    fold_dir.mkdir(parents=True, exist_ok=True)
    overrides = fold_pattern_overrides(config, patterns, fold_dir)
    nlp = train_on(config, subset, fold_dir, max_steps, gold, overrides)
    predicted = predict(nlp, test_records, held_out, {"fraction": fraction})
    return predicted, {"held_out": held_out, "fraction": fraction, "train_paragraphs": len(subset),
                       "test_paragraphs": len(test_records), "seconds": round(time.perf_counter() - start)}


def cross_validate(gold: Path, paragraphs: Path, config: Path, workdir: Path, predictions: Path, *,
                   curve_predictions: Optional[Path] = None, max_steps: Optional[int] = None,
                   fractions: tuple[float, ...] = FRACTIONS, jobs: int = 1,
                   patterns: Optional[Path] = None) -> CrossValReport:
    """Train per fold (and per learning-curve fraction, if `curve_predictions`); write the pooled
    held-out predictions. `jobs` training runs go in parallel (one per core)."""
    from concurrent.futures import ProcessPoolExecutor

    start = time.perf_counter()
    records = load_gold(gold, paragraphs)
    wanted = fractions if curve_predictions is not None else (1.0,)
    pattern_list = load_patterns(patterns) if patterns is not None else None
    work = [(held_out, fraction, train, test,
             fold_patterns(pattern_list, records, held_out) if pattern_list is not None else None)
            for held_out, train, test in article_folds(records) for fraction in wanted]
    training = load_config(config, interpolate=False)["training"]
    report = CrossValReport(settings={"config": Path(config).stem, "max_steps": max_steps, "jobs": jobs,
                                      "cpu_count": os.cpu_count(), "config_max_steps": training.get("max_steps"),
                                      "config_patience": training.get("patience")})
    pooled: list[dict[str, Any]] = []
    curve: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(run_job, config, gold, workdir, max_steps, *job) for job in work]
        for future in futures:
            predicted, info = future.result()
            msg.good(f"held out {info['held_out']}, {info['fraction']:.0%} of training paragraphs: "
                     f"{info['seconds']} s")
            report.folds.append(info)
            curve.extend(predicted)
            if info["fraction"] == 1.0:
                pooled.extend(predicted)
    write_jsonl(predictions, pooled)
    if curve_predictions is not None:
        write_jsonl(curve_predictions, curve)
    report.seconds = time.perf_counter() - start
    return report
