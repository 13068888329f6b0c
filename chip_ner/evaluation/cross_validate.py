"""Leave-one-group-out cross-validation, and a learning curve on the same folds.

A fold holds out one seed article, or one topic batch of the articles written for the project
(`GoldRecord.fold`), trains a fresh pipeline from the project's config on everything else and
predicts what it held out. Nothing from the held-out fold is seen in training or model selection: the fold's
"dev" set during training is its own training data (for logging only) and the last model is
used, not the best on any held-out data.

With `ablate_lists`, every entry of the lists the pipeline uses (the project's patterns and the
gazetteer; the CHIP naming schemes are derived from what is left) that names a gold mention of
the held-out article is removed for that fold, so its names are names no list knows: the
yardstick for tomorrow's news. Each fold also records which held-out gold mentions its lists
still name (`lists_output`), so the scorer splits recall into names in a list and in none; it
can also predict with the statistical NER alone (`ner_only_predictions`: the rule components off).
"""
from __future__ import annotations

import os
import random
import sys
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
from ..io import write_json, write_jsonl
from ..threads import one_blas_thread
from ..records import (
    GoldRecord,
    ablate,
    entity_spans,
    fold_patterns,
    listed_spans,
    load_gold,
    load_patterns,
)
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
    """(held-out fold, train records, test records) for every fold (a seed article, or a topic
    batch of written articles), via LeaveOneGroupOut."""
    groups = [r.fold for r in records]
    folds = []
    for train_idx, test_idx in LeaveOneGroupOut().split(records, groups=groups):
        held_out = records[test_idx[0]].fold
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
    spans = entity_spans(nlp, (r.text for r in records))
    return [{"id": r.id, "article": r.article, "fold": fold, **(extra or {}), "label": [list(s) for s in predicted]}
            for r, predicted in zip(records, spans)]


RULE_COMPONENTS = ("entity_ruler", "chip_ner_person_cues", "chip_ner_people_over_companies", "chip_ner_money",
                   "chip_ner_legal_names", "chip_ner_tickers", "chip_ner_model_numbers")


@dataclass
class FoldLists:
    """The lists one fold's pipeline gets (None: the config reads no such list)."""

    patterns: Optional[list[dict[str, Any]]] = None
    gazetteer: Optional[list[dict[str, Any]]] = None

    def entries(self) -> list[dict[str, Any]]:
        return (self.patterns or []) + (self.gazetteer or [])

    def overrides(self, fold_dir: Path) -> dict[str, Any]:
        """`paths.patterns` / `paths.gazetteer` pointing at this fold's copies of the lists."""
        overrides = {}
        for name, entries in (("patterns", self.patterns), ("gazetteer", self.gazetteer)):
            if entries is not None:
                path = fold_dir / f"{name}.jsonl"
                write_jsonl(path, entries)
                overrides[f"paths.{name}"] = str(path)
        return overrides


def config_lists(config: Path) -> tuple[bool, Optional[list[dict[str, Any]]], dict[str, str]]:
    """Does the config read `paths.patterns`; its gazetteer (if any); its script-norm table (if any)."""
    from ..config_code.readers import read_t2s_table

    raw = load_config(config, interpolate=False)
    paths = raw.get("paths", {})
    gazetteer = load_patterns(Path(paths["gazetteer"])) if paths.get("gazetteer") else None
    lookups = raw.get("initialize", {}).get("lookups") or {}
    norms = read_t2s_table(lookups["path"]) if lookups.get("path") else {}
    return "patterns" in paths, gazetteer, norms


def fold_lists(config: Path, patterns: Optional[list[dict[str, Any]]], records: list[GoldRecord],
               ablate_lists: bool) -> dict[str, tuple[FoldLists, dict[str, list[list[int]]]]]:
    """Per held-out article: the lists of its fold and the held-out gold spans they name. The
    project's patterns lose what only the held-out article's gold names (records.fold_patterns);
    with `ablate_lists`, every list also loses every entry naming a held-out mention."""
    reads_patterns, gazetteer, norms = config_lists(config)
    result = {}
    for article in sorted({r.fold for r in records}):
        held = [r for r in records if r.fold == article]
        lists = FoldLists(fold_patterns(patterns, records, article) if reads_patterns and patterns is not None else None,
                          gazetteer)
        if ablate_lists:
            lists = FoldLists(*(ablate(entries, held, norms) if entries is not None else None
                                for entries in (lists.patterns, lists.gazetteer)))
        result[article] = (lists, listed_spans(held, lists.entries(), norms))
    return result


def run_job(config: Path, gold: Path, workdir: Path, max_steps: Optional[int], held_out: str, fraction: float,
            train_records: list[GoldRecord], test_records: list[GoldRecord], lists: FoldLists,
            extra: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """One training run: a fold (held-out article) at one training fraction. Returns the
    predictions of the pipeline, those of its NER alone (full training set only) and timings."""
    start = time.perf_counter()
    subset = subsample(train_records, fraction)
    fold_dir = Path(workdir) / f"{held_out}-{int(fraction * 100)}"
    fold_dir.mkdir(parents=True, exist_ok=True)
    nlp = train_on(config, subset, fold_dir, max_steps, gold, lists.overrides(fold_dir))
    predicted = predict(nlp, test_records, held_out, {"fraction": fraction, **extra})
    ner_alone = []
    if fraction == 1.0:
        with nlp.select_pipes(disable=[name for name in RULE_COMPONENTS if name in nlp.pipe_names]):
            ner_alone = predict(nlp, test_records, held_out, {"fraction": fraction, **extra})
    return predicted, ner_alone, {"held_out": held_out, "fraction": fraction, "train_paragraphs": len(subset),
                                  "test_paragraphs": len(test_records), "seconds": round(time.perf_counter() - start)}


def fresh_process_per_job() -> dict[str, Any]:
    """Each training run in a new worker process, so a fold's model cannot depend on what ran
    before it in the same worker (checked: the 100% folds predict identically whether 5 or 20
    runs share the pool). Python 3.10 has no such option; there the runs share workers."""
    return {"max_tasks_per_child": 1} if sys.version_info >= (3, 11) else {}


def cross_validate(gold: Path, paragraphs: Path, config: Path, workdir: Path, predictions: Path, *,
                   curve_predictions: Optional[Path] = None, max_steps: Optional[int] = None,
                   fractions: tuple[float, ...] = FRACTIONS, jobs: int = 1,
                   patterns: Optional[Path] = None, ablate_lists: bool = False,
                   ner_only_predictions: Optional[Path] = None, lists_output: Optional[Path] = None) -> CrossValReport:
    """Train per fold (and per learning-curve fraction, if `curve_predictions`); write the pooled
    held-out predictions (and those of the NER alone, and which gold mentions the fold's lists
    name). `jobs` training runs go in parallel (one per core)."""
    from concurrent.futures import ProcessPoolExecutor

    start = time.perf_counter()
    records = load_gold(gold, paragraphs)
    wanted = fractions if curve_predictions is not None else (1.0,)
    lists = fold_lists(config, load_patterns(patterns) if patterns is not None else None, records, ablate_lists)
    extra = {"ablated": True} if ablate_lists else {}
    work = [(held_out, fraction, train, test, lists[held_out][0], extra)
            for held_out, train, test in article_folds(records) for fraction in wanted]
    training = load_config(config, interpolate=False)["training"]
    report = CrossValReport(settings={"config": Path(config).stem, "max_steps": max_steps, "jobs": jobs,
                                      "ablated": ablate_lists, "cpu_count": os.cpu_count(),
                                      "config_max_steps": training.get("max_steps"),
                                      "config_patience": training.get("patience")})
    pooled: list[dict[str, Any]] = []
    ner_alone: list[dict[str, Any]] = []
    curve: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=jobs, initializer=one_blas_thread if jobs > 1 else None,
                             **fresh_process_per_job()) as pool:
        futures = [pool.submit(run_job, config, gold, workdir, max_steps, *job) for job in work]
        for future in futures:
            predicted, alone, info = future.result()
            msg.good(f"held out {info['held_out']}, {info['fraction']:.0%} of training paragraphs: "
                     f"{info['seconds']} s")
            report.folds.append(info)
            curve.extend(predicted)
            ner_alone.extend(alone)
            if info["fraction"] == 1.0:
                pooled.extend(predicted)
    write_jsonl(predictions, pooled)
    if curve_predictions is not None:
        write_jsonl(curve_predictions, curve)
    if ner_only_predictions is not None:
        write_jsonl(ner_only_predictions, ner_alone)
    if lists_output is not None:
        write_json(lists_output, {"ablated": ablate_lists,
                                  "list_entries": {a: len(fl.entries()) for a, (fl, _) in lists.items()},
                                  "in_list": {pid: spans for _, (_, listed) in lists.items() for pid, spans in listed.items()}})
    report.seconds = time.perf_counter() - start
    return report
