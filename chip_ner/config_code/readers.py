"""Readers for `[initialize]`: the entity_ruler's patterns, the PERSON cue lists, the
traditional -> simplified table that becomes the vocab's `lexeme_norm` and the dictionary words
of the tok2vec's lexicon features.

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
from ..pipeline.lexicon import MAX_LEN, MIN_LEN, OTHER_TAG, TABLE, TAG_CLASSES, is_cjk
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


def jieba_dictionary() -> Path:
    """jieba's `dict.txt` (MIT): 349,046 words with a frequency and a part-of-speech tag."""
    try:
        import jieba
    except ImportError:
        raise ChipNerError("jieba is not installed", [Problem("chip_ner.lexicon_lookups.v1", "needs jieba's dictionary")],
                           "pip install -e . (jieba is a dependency), or name a dictionary file in the config.") from None
    return Path(jieba.__file__).parent / "dict.txt"


def read_dictionary(path: Path) -> dict[str, int]:
    """`word freq tag` lines -> {word: tag class} for words of 2–7 Chinese characters; a line of
    another shape is a located error (file:line), not a word silently lost."""
    words: dict[str, int] = {}
    problems = []
    for number, line in enumerate(read_utf8(path).splitlines(), 1):
        parts = line.split()
        if len(parts) != 3 or not parts[1].isdigit():
            problems.append(Problem(path, f"expected `word frequency tag`, found {line.strip()[:40]!r}", line=number))
            continue
        word, _, tag = parts
        if MIN_LEN <= len(word) <= MAX_LEN and all(is_cjk(c) for c in word):
            words.setdefault(word, TAG_CLASSES.get(tag, OTHER_TAG))
    if problems:
        raise ChipNerError("Invalid dictionary", problems[:5], "Each line is `word frequency tag`, as jieba's dict.txt.")
    return words


@registry.misc("chip_ner.lexicon_lookups.v1")
def lexicon_lookups(norms: str, dictionary: Optional[str] = None) -> Lookups:
    """`chip_ner.script_norms.v1`'s lookups plus the dictionary's words (jieba's when `dictionary`
    is null) in the table the tok2vec's lexicon features read; both are saved with the vocab."""
    lookups = script_norms(norms)
    lookups.add_table(TABLE)["words"] = read_dictionary(Path(dictionary) if dictionary else jieba_dictionary())
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
