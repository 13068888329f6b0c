"""The sync state shared by push and pull: for every paragraph in doccano, the spans (code
points) doccano held when the two sides last agreed. It is the common ancestor of pull's
three-way merge, so only push (what it stored) and pull (what it merged) write it."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ..io import read_jsonl, write_jsonl
from ..records import Span


def load_base(path: Path) -> dict[str, dict[str, Any]]:
    """Base records by paragraph id: the spans (code points) doccano last had, as far as we know."""
    if not Path(path).exists():
        return {}
    return {record["id"]: record for _, record in read_jsonl(path)}


def base_record(pid: str, text: str, spans: list[Span], project: str) -> dict[str, Any]:
    return {"id": pid, "text": text, "label": [list(s) for s in spans], "project": project}


def write_base(path: Path, base: dict[str, dict[str, Any]]) -> None:
    write_jsonl(path, (base[pid] for pid in sorted(base)))
