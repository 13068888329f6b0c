"""Training data for a PERSON-only component: MSRA training sentences, nothing of the domain gold.

`chip_ner.msra_people.v1` reads `chip-ner fetch-msra`'s train.jsonl (never test.jsonl) and yields
one Example per sentence: MSRA `PER` spans become PERSON and every other token is O (ORG and LOC
are not people, so for a model that knows one label they are plain negatives; MONEY and CHIP do
not concern it). The sentences are a fixed random sample (seed); `part="dev"` gives the `dev`
sentences just after the `limit` training ones in the same order, so the two never overlap.

Used by `configs/person_msra.cfg` (`spacy project run train-person` trains it with `--code chip_ner/config_code/person_corpus.py`;
the absolute import below registers the project's tokenizer, norms and NER factory as well).
"""
from __future__ import annotations

import random
from typing import Callable, Iterator

import srsly
from spacy.language import Language
from spacy.training import Example
from spacy.util import registry

from chip_ner import spacy_code  # noqa: F401  (the tokenizer, script norms and chip_ner_ner factory)
from chip_ner.candidates import bigram_embed  # noqa: F401  (chip_ner.BigramHashEmbed.v1, for the bigram candidate)


def people_example(nlp: Language, record: dict) -> Example:
    """One MSRA sentence: PERSON where MSRA says PER, O everywhere else."""
    text = record["text"]
    reference = nlp.make_doc(text)
    people = []
    for start, end, label in record["label"]:
        if label != "PERSON":
            continue
        span = reference.char_span(start, end, label="PERSON")
        if span is None:  # never with the char+Latin tokenizer on MSRA text: an error, not a skip
            raise ValueError(f"MSRA line {record.get('meta', {}).get('line')}: PERSON [{start}, {end}) does not "
                             f"align with the tokenizer in {text!r}")
        people.append(span)
    reference.set_ents(people, default="outside")
    return Example(nlp.make_doc(text), reference)


def sample(records: list[dict], limit: int, dev: int, seed: int, part: str) -> list[dict]:
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)
    if part == "train":
        return shuffled[:limit]
    if part == "dev":
        return shuffled[limit:limit + dev]
    raise ValueError(f"part must be 'train' or 'dev', not {part!r}")


@registry.readers("chip_ner.msra_people.v1")
def create_msra_people(path: str, limit: int = 10000, dev: int = 500, seed: int = 0, part: str = "train",
                       max_length: int = 0) -> Callable[[Language], Iterator[Example]]:
    """`limit` MSRA training sentences (part="train") or the `dev` after them (part="dev"), as PERSON/O Examples.
    `max_length` (characters, 0: none) drops longer sentences, as spacy.Corpus.v1 does."""
    if "test" in str(path).rsplit("/", 1)[-1]:
        raise ValueError(f"{path}: the MSRA test sentences are the yardstick, never training data")
    records = [r for r in srsly.read_jsonl(path) if not max_length or len(r["text"]) <= max_length]
    chosen = sample(records, limit, dev, seed, part)

    def read(nlp: Language) -> Iterator[Example]:
        for record in chosen:
            yield people_example(nlp, record)

    return read
