"""Readers for `[initialize]`: the entity_ruler's patterns, the PERSON cue lists and the
traditional -> simplified table that becomes the vocab's `lexeme_norm`.

They run while `spacy train` initialises a pipeline; the data they return is saved with it
(the ruler's patterns, the cues, the lookups), so loading the pipeline needs none of them.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import srsly
from spacy.lookups import Lookups
from spacy.util import registry

from ..errors import ChipNerError, Problem
from ..io import read_utf8
from ..pipeline.person import CUE_KINDS
from ..records import json_type, load_patterns
from .versions import version_patterns


def read_t2s_table(path: str) -> dict[str, str]:
    """`configs/t2s_chars.json` (built by `chip-ner build-norms`): traditional -> simplified characters.
    A table of another shape is a located error, not a wrong NORM for every token."""
    try:
        table = json.loads(read_utf8(Path(path))).get("lexeme_norm")
    except (json.JSONDecodeError, AttributeError) as err:
        raise ChipNerError("Invalid script table", [Problem(path, f"not a JSON object: {err}")],
                           "Rebuild it: python -m chip_ner build-norms") from None
    bad = ([] if isinstance(table, dict) else [f"`lexeme_norm` must be an object, found {json_type(table)}"]) or [
        f"{key!r} -> {value!r} is not one character to one character"
        for key, value in table.items() if not (isinstance(value, str) and len(key) == len(value) == 1)][:5]
    if bad:
        raise ChipNerError("Invalid script table", [Problem(path, reason) for reason in bad],
                           "Rebuild it: python -m chip_ner build-norms")
    return table


@registry.misc("chip_ner.script_norms.v1")
def script_norms(path: str) -> Lookups:
    """Lookups whose `lexeme_norm` table maps traditional characters to simplified ones, for
    `[initialize.lookups]`: NORM (and the model's NORM embedding) becomes script-invariant while
    the text keeps its script. The tables are saved with the pipeline's vocab."""
    lookups = Lookups()
    lookups.add_table("lexeme_norm", read_t2s_table(path))
    return lookups


@registry.readers("chip_ner.patterns.v1")
def read_patterns(patterns: str, gazetteer: Optional[str] = None, chip_versions: bool = False) -> list[dict]:
    """The entity_ruler's patterns: the project's list plus the independent gazetteer (same
    surface twice: the first wins). Cross-validation swaps `patterns` for its per-fold list.
    `chip_versions` adds the naming-scheme token patterns of their CHIP families (versions.py)."""
    merged, seen = [], set()
    for path in (patterns, gazetteer):
        if not path:
            continue
        for entry in load_patterns(Path(path)):  # every bad line named (file:line), never a KeyError
            key = entry["pattern"] if isinstance(entry["pattern"], str) else json.dumps(entry["pattern"])
            if key not in seen:
                seen.add(key)
                merged.append(entry)
    return merged + version_patterns(merged) if chip_versions else merged


@registry.readers("chip_ner.person_cues.v1")
def read_person_cues(paths: list[str]) -> list[dict[str, str]]:
    """Cue entries `{"cue", "kind"}` from JSONL files; an unknown kind is an error, not a skip."""
    cues = []
    for path in paths:
        for line_no, entry in enumerate(srsly.read_jsonl(path), start=1):
            if entry.get("kind") not in CUE_KINDS or not isinstance(entry.get("cue"), str) or not entry["cue"]:
                raise ValueError(f"{path}:{line_no}: expected {{'cue': <text>, 'kind': one of {CUE_KINDS}}}, got {entry!r}")
            cues.append({"cue": entry["cue"], "kind": entry["kind"]})
    return cues
