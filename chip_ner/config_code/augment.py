"""Training-data augmentation: teach the model contexts, not the five articles' names.

`chip_ner.entity_swap.v1` yields every training example as it is, plus, with probability
`level`, a copy in which each CHIP, COMPANY and PERSON mention is replaced by another name of
the same label from the gazetteer (simplified, traditional or Latin), and, with probability
`script_level`, a copy converted to the other script with the project's character table.
Replacement names come from `configs/gazetteer.jsonl`, curated independently of the gold, so
no evaluated article leaks into training through them.
"""
from __future__ import annotations

import random
from typing import Callable, Iterator, Optional

import srsly
from spacy.language import Language
from spacy.training import Example
from spacy.util import registry

from .readers import read_t2s_table

SWAP_LABELS = ("CHIP", "COMPANY", "PERSON")


def load_names(path: str) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {label: [] for label in SWAP_LABELS}
    for entry in srsly.read_jsonl(path):
        if entry.get("label") in names and isinstance(entry.get("pattern"), str):
            names[entry["label"]].append(entry["pattern"])
    return names


def swap_entities(text: str, spans: list[tuple[int, int, str]], names: dict[str, list[str]],
                  rng: random.Random) -> tuple[str, list[tuple[int, int, str]]]:
    """Replace every swappable mention; one replacement per distinct surface, so repeats stay repeats."""
    chosen: dict[str, str] = {}
    out, new_spans, pos = [], [], 0
    for start, end, label in sorted(spans):
        surface = text[start:end]
        replacement = surface
        if label in SWAP_LABELS and names.get(label):
            replacement = chosen.setdefault(surface, rng.choice(names[label]))
        out.append(text[pos:start])
        new_start = sum(len(p) for p in out)
        out.append(replacement)
        new_spans.append((new_start, new_start + len(replacement), label))
        pos = end
    out.append(text[pos:])
    return "".join(out), new_spans


def convert_script(text: str, table: dict[str, str]) -> str:
    return "".join(table.get(c, c) for c in text)


def make_example(nlp: Language, text: str, spans: list[tuple[int, int, str]]) -> Optional[Example]:
    """An example with the given entities, or None if a replacement broke token alignment."""
    doc = nlp.make_doc(text)
    ents = [doc.char_span(s, e, label=label) for s, e, label in spans]
    if any(ent is None for ent in ents):
        return None
    return Example.from_dict(nlp.make_doc(text), {"entities": [(s, e, label) for s, e, label in spans]})


@registry.augmenters("chip_ner.entity_swap.v1")
def create_entity_swap(gazetteer: str, level: float = 0.5, script_table: Optional[str] = None,
                       script_level: float = 0.0, seed: int = 0) -> Callable[[Language, Example], Iterator[Example]]:
    names = load_names(gazetteer)
    t2s = read_t2s_table(script_table) if script_table else {}
    s2t: dict[str, str] = {}
    for trad, simp in t2s.items():
        s2t.setdefault(simp, trad)
    rng = random.Random(seed)

    def augment(nlp: Language, example: Example) -> Iterator[Example]:
        yield example
        text = example.reference.text
        spans = [(e.start_char, e.end_char, e.label_) for e in example.reference.ents]
        if spans and rng.random() < level:
            swapped = make_example(nlp, *swap_entities(text, spans, names, rng))
            if swapped is not None:
                yield swapped
        if t2s and rng.random() < script_level:
            simplified = convert_script(text, t2s)
            converted = simplified if simplified != text else convert_script(text, s2t)
            other = make_example(nlp, converted, spans)
            if other is not None:
                yield other

    return augment
