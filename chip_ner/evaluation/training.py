"""spaCy's own training loop for the pipelines the evaluation trains (fold models, segmenter
candidates): the same config as `spacy project run train`, with paths and steps as overrides."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Optional

from .. import spacy_code  # noqa: F401  (registers what the configs name)


def train_pipeline(config: Path, output: Path, train: Path, dev: Path, *, max_steps: Optional[int] = None,
                   overrides: Optional[dict[str, Any]] = None) -> float:
    """Train `config` on the DocBins `train`/`dev` into `output`; returns the wall time in seconds."""
    from spacy.cli.train import train as spacy_train

    settings: dict[str, Any] = {"paths.train": str(train), "paths.dev": str(dev), **(overrides or {})}
    if max_steps is not None:
        settings["training.max_steps"] = max_steps
    start = time.perf_counter()
    spacy_train(config, output, overrides=settings)
    return time.perf_counter() - start


def fold_model_path(workdir: Path, held_out: str, fraction: float = 1.0) -> Path:
    """Where cross-validate leaves the last model of a fold (and script-test finds it)."""
    return Path(workdir) / f"{held_out}-{int(fraction * 100)}" / "model" / "model-last"
