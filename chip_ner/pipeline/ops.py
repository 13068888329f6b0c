"""The pipeline's matrix products on numpy's BLAS instead of thinc's bundled blis.

Why: on the CPU, thinc's NumpyOps multiplies matrices with the `blis` package by default. On the
2-core AMD EPYC this project is measured on, numpy's OpenBLAS did the same products in about half
the time with one thread (person_ner's tok2vec over the corpus: 3.6 s with blis, 1.8 s with
OpenBLAS, 1.3 s with OpenBLAS's two threads), and the packaged pipeline predicted exactly the same
entities on all 805 corpus paragraphs either way. `chip_ner.openblas_ops.v1` is the configs'
`[nlp.after_pipeline_creation]` callback (what `spacy.load` runs) and their `[initialize.after_init]`
one (initialize adds the NER's output layer): it gives this pipeline's models (and only them; no
global state changes) thinc's `NumpyOps(use_blis=False)`, which hands products to numpy. Models on
any other ops (a GPU, Apple's) are left alone. How many threads OpenBLAS uses is numpy's setting
(`OPENBLAS_NUM_THREADS`). Self-contained (spaCy and thinc only), so `spacy package --code` can
ship it.
"""
from __future__ import annotations

from typing import Callable

from spacy.language import Language
from spacy.util import registry
from thinc.api import Model, NumpyOps


def uses_blis(model: Model) -> bool:
    ops = model.ops
    return type(ops) is NumpyOps and getattr(ops, "use_blis", True)


def use_numpy_blas(nlp: Language) -> Language:
    """Every layer of every component model that runs on blis NumpyOps moves to one shared
    NumpyOps(use_blis=False); returns `nlp`, as spaCy's callback contract asks."""
    ops = NumpyOps(use_blis=False)
    for _, component in nlp.components:
        model = getattr(component, "model", None)
        if not isinstance(model, Model):
            continue
        for node in model.walk():
            if uses_blis(node):
                node.ops = ops
    return nlp


@registry.callbacks("chip_ner.openblas_ops.v1")
def make_openblas_ops() -> Callable[[Language], Language]:
    return use_numpy_blas
