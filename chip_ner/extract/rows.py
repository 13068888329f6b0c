"""A Doc -> plain entity rows (tuples of str, int, float and None), the only thing a worker sends
back: unpickling Docs in the parent costs more than the NER it saved."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Sequence

COLUMNS = ["file", "doc_id", "paragraph", "start", "end", "label", "text", "id", "value", "min", "max", "currency"]
# Arrow / Spark types of the columns, in order.
TYPES = {"file": "string", "doc_id": "string", "paragraph": "int64", "start": "int64", "end": "int64",
         "label": "string", "text": "string", "id": "string", "value": "double", "min": "double",
         "max": "double", "currency": "string"}
Row = tuple[Any, ...]
Meta = tuple[str, str, int]  # file, doc_id, paragraph


def load_pipeline(model: str):
    """`spacy.load` by package name or path; a path's config may name the project's components,
    so they are registered first (the wheel registers its own copies)."""
    import spacy

    if Path(model).exists():
        from .. import spacy_code  # noqa: F401  (registers what a project pipeline's config names)
    return spacy.load(model)


def doc_rows(doc, meta: Meta) -> list[Row]:
    """One row per entity: code-point offsets, the canonical ID (`ent.id_`, None if it has none)
    and, for MONEY, `ent._.money`'s value, min, max and currency."""
    rows = []
    for ent in doc.ents:
        money = ent._.money if ent.label_ == "MONEY" and ent.has_extension("money") else None
        money = money or {}
        rows.append((*meta, ent.start_char, ent.end_char, ent.label_, ent.text, ent.id_ or None,
                     money.get("value"), money.get("min"), money.get("max"), money.get("currency")))
    return rows


def annotate(nlp, metas: Sequence[Meta], texts: Iterable[str], batch_size: int) -> list[list[Row]]:
    """The rows of each text, inside a memory zone, so the strings and lexemes the batch added
    are freed and memory stays flat however long the archive."""
    with nlp.memory_zone():
        return [doc_rows(doc, meta) for doc, meta in zip(nlp.pipe(texts, batch_size=batch_size), metas)]


def as_record(row: Row) -> dict[str, Any]:
    return dict(zip(COLUMNS, row))
