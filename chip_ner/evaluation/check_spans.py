"""The span rules on text the pipeline was not built for: the corpus paragraphs and generated
texts made from them (junk inserted at random places, Latin turned full-width, Taiwanese and
full-width amounts, random strings).

Counted for the pipeline as shipped and with `chip_ner_span_rules` switched off, so the figure
shows what the guarantee catches: entities that start or end with whitespace, punctuation or a
format character, overlapping entities, offsets that do not slice the text.
"""
from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import spacy

from .. import spacy_code  # noqa: F401  (a pipeline folder needs the project's components)
from ..extract.local import check_model
from ..io import write_json
from ..pipeline.spans import is_edge_junk
from ..records import load_paragraphs

JUNK = list("，。、：；！？（）《》「」,.;:!?()[]-_·…") + [" ", "  ", "\u3000", "\n", "\u200b", "\u200d", "\u200c",
                                                   "\u00ad", "\ufeff", "\u2060"]
FULL_WIDTH = {c: chr(ord(c) + 0xFEE0) for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"}
AMOUNTS = ["新台幣1兆2,345億元", "１２億美元", "12，345億元", "人民币3亿5000万元", "US$1,250萬"]
RANDOM_CHARS = JUNK + list("英伟达台积电超微H100黄仁勋美元亿")


def generated_texts(paragraphs: list[str], count: int = 1600, seed: int = 14) -> list[str]:
    """The paragraphs, then `count` texts made from them, a quarter of each kind."""
    rng = random.Random(seed)
    texts = list(paragraphs)
    for i in range(count):
        text = rng.choice(paragraphs)
        kind = i % 4
        if kind == 0:
            chars = list(text)
            for _ in range(rng.randint(1, 8)):
                chars.insert(rng.randrange(len(chars) + 1), rng.choice(JUNK))
            text = "".join(chars)
        elif kind == 1:
            text = "".join(FULL_WIDTH.get(c, c) for c in text)
        elif kind == 2:
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(AMOUNTS) + rng.choice(JUNK) + text[at:]
        else:
            text = "".join(rng.choice(RANDOM_CHARS) for _ in range(rng.randint(1, 60)))
        texts.append(text)
    return texts


def violations(texts: list[str], docs) -> dict[str, Any]:
    """Counts of broken span rules, and the first examples."""
    counts = {"entities": 0, "edge": 0, "overlap": 0, "offsets": 0}
    examples = []
    for text, doc in zip(texts, docs):
        ents = list(doc.ents)
        counts["entities"] += len(ents)
        for ent in ents:
            if text[ent.start_char:ent.end_char] != ent.text:
                counts["offsets"] += 1
            elif is_edge_junk(text[ent.start_char]) or is_edge_junk(text[ent.end_char - 1]):
                counts["edge"] += 1
                if len(examples) < 10:
                    examples.append([ent.text, ent.label_])
        counts["overlap"] += sum(a.end_char > b.start_char for a, b in zip(ents, ents[1:]))
    return {**counts, "examples": examples}


def check_spans(model: str, paragraphs: Path, output: Path, *, count: int = 1600) -> dict[str, Any]:
    """Span-rule violations of `model` on the corpus and `count` generated texts, with and
    without `chip_ner_span_rules`; written to `output`."""
    check_model(model)
    nlp = spacy.load(model)
    texts = generated_texts([p["text"] for p in load_paragraphs(paragraphs).values()], count)
    result = {"model": model, "texts": len(texts), "generated": count, "runs": {}}
    result["runs"]["as shipped"] = violations(texts, nlp.pipe(texts))
    if "chip_ner_span_rules" in nlp.pipe_names:
        result["runs"]["without chip_ner_span_rules"] = violations(texts, nlp.pipe(texts, disable=["chip_ner_span_rules"]))
    write_json(output, result)
    return result
