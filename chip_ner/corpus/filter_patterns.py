"""The project's patterns without what only the evaluated articles' gold could have suggested.

`configs/patterns.jsonl` was curated by someone who had read the articles, so the pipeline that
is trained, scored on the dev article and packaged uses this filtered list: what is measured on
dev is exactly what ships, and nothing of the dev article's gold reaches its score.
"""
from __future__ import annotations

from pathlib import Path

from ..io import write_jsonl
from ..records import fold_patterns, load_gold, load_patterns


def filter_patterns(gold: Path, paragraphs: Path, patterns: Path, output: Path, held_out: str) -> tuple[int, int]:
    """Write the filtered list; returns (kept, removed)."""
    entries = load_patterns(patterns)
    kept = fold_patterns(entries, load_gold(gold, paragraphs), held_out)
    write_jsonl(output, kept)
    return len(kept), len(entries) - len(kept)
