"""Evaluate a trained pipeline on the dev DocBin: spaCy's own `evaluate` (with its displaCy
rendering of the predictions), plus per-label precision/recall/F and speed in one JSON file.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional

import spacy
from spacy.language import Language
from spacy.training import Example

from .. import (
    LABELS,
    spacy_code,  # noqa: F401  (registers what the pipelines name)
)
from ..corpus.convert import read_docs
from ..io import write_json, write_text


def dev_examples(nlp: Language, dev_path: Path) -> list[Example]:
    return [Example(nlp.make_doc(ref.text), ref) for ref in read_docs(dev_path, nlp)]


def per_label(scores: dict[str, Any]) -> dict[str, dict[str, float]]:
    """P/R/F for every label, 0.0 for a label the model never predicted and the dev never had."""
    per_type = scores.get("ents_per_type") or {}
    return {label: {k: round(float(per_type.get(label, {}).get(k, 0.0)), 4) for k in ("p", "r", "f")}
            for label in LABELS}


def chars_per_second(nlp: Language, texts: list[str], min_chars: int = 100_000) -> float:
    """Throughput of nlp.pipe on the texts repeated to at least `min_chars` characters."""
    total = sum(len(t) for t in texts)
    repeated = texts * max(1, -(-min_chars // max(total, 1)))
    start = time.perf_counter()
    for _ in nlp.pipe(repeated, batch_size=64):
        pass
    return sum(len(t) for t in repeated) / (time.perf_counter() - start)


def model_size_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 1e6, 2)


def summarise(scores: dict[str, Any], nlp: Language, model: Path, dev: Path) -> dict[str, Any]:
    """Entity scores by label, with speed and size: one candidate's line in a comparison."""
    texts = [doc.text for doc in read_docs(dev, nlp)]
    return {
        "ents_p": round(scores["ents_p"], 4), "ents_r": round(scores["ents_r"], 4), "ents_f": round(scores["ents_f"], 4),
        "per_label": per_label(scores),
        "chars_per_second": round(chars_per_second(nlp, texts)),
        "model_size_mb": model_size_mb(model),
    }


def score(model: Path, dev: Path) -> dict[str, Any]:
    """Quiet scoring, for comparisons."""
    nlp = spacy.load(model)
    return summarise(nlp.evaluate(dev_examples(nlp, dev)), nlp, model, dev)


def render_entities(nlp: Language, dev: Path, displacy_dir: Path, limit: int = 1000) -> Path:
    """`entities.html` of the dev predictions. spaCy's evaluate renders entities only for a
    component made by the factory `ner`; the shipped NER is `chip_ner_ner` (spaCy's, in pieces)."""
    from spacy import displacy

    docs = list(nlp.pipe(doc.text for doc in list(read_docs(dev, nlp))[:limit]))
    displacy_dir.mkdir(parents=True, exist_ok=True)
    write_text(displacy_dir / "entities.html", displacy.render(docs, style="ent", page=True))
    return displacy_dir / "entities.html"


def evaluate(model: Path, dev: Path, output: Path, *, displacy_dir: Optional[Path] = None,
             config_name: str = "") -> dict[str, Any]:
    """Run `spacy evaluate`, render the dev predictions with displaCy, and write metrics."""
    from spacy.cli.evaluate import evaluate as spacy_evaluate

    scores = spacy_evaluate(str(model), dev, silent=False)
    nlp = spacy.load(model)
    if displacy_dir is not None:
        render_entities(nlp, dev, Path(displacy_dir))
    metrics = {"config": config_name, "model": str(model), "dev": str(dev), **summarise(scores, nlp, model, dev)}
    write_json(output, metrics)
    return metrics
