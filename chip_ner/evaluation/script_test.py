"""Script test: every held-out paragraph converted to the other script (simplified <-> traditional)
must yield the same entities. OpenCC's character tables convert one character to one, so the
gold offsets still hold; a paragraph whose length would change is converted per character.

The cross-validation's fold models (trained without the held-out article) predict the
converted paragraphs, so the F on them sits beside the F on the originals.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from ..errors import ChipNerError, Problem
from ..io import write_jsonl
from ..records import load_gold
from .training import fold_model_path


@lru_cache(maxsize=None)
def converter(config: str):
    import opencc

    return opencc.OpenCC(config)


def other_script(text: str) -> str:
    """Traditional text -> simplified, anything else -> traditional, with the same length."""
    to_simplified = converter("t2s").convert(text)
    target = "t2s" if to_simplified != text else "s2t"
    converted = to_simplified if target == "t2s" else converter("s2t").convert(text)
    if len(converted) != len(text):
        converted = "".join(c if len(out := converter(target).convert(c)) != 1 else out for c in text)
    return converted


def script_test(gold: Path, paragraphs: Path, cv_dir: Path, output: Path) -> dict[str, int]:
    """Predict every paragraph, converted, with the model of the fold that held its article out."""
    import spacy

    from .. import spacy_code  # noqa: F401  (registers what the fold models' configs name)

    records = load_gold(gold, paragraphs)
    missing = [path for path in (fold_model_path(cv_dir, a) for a in sorted({r.fold for r in records}))
               if not path.is_dir()]
    if missing:
        raise ChipNerError(f"No fold models in {cv_dir}", [Problem(path, "no such model") for path in missing],
                           "Run cross-validate first: spacy project run cross-validate")
    rows: list[dict[str, Any]] = []
    changed = 0
    for article in sorted({r.fold for r in records}):
        nlp = spacy.load(fold_model_path(cv_dir, article))
        held = [r for r in records if r.fold == article]
        texts = [other_script(r.text) for r in held]
        changed += sum(t != r.text for t, r in zip(texts, held))
        for record, doc in zip(held, nlp.pipe(texts)):
            rows.append({"id": record.id, "article": article, "fold": article, "text": doc.text,
                         "label": [[e.start_char, e.end_char, e.label_] for e in doc.ents]})
    write_jsonl(output, rows)
    return {"paragraphs": len(rows), "converted": changed}
