"""Training data from the MSRA training sentences alone, nothing of the domain gold.

`chip_ner.msra_people.v1` reads `chip-ner fetch-msra`'s train.jsonl (never test.jsonl) and yields
one Example per sentence: MSRA `PER` spans become PERSON and every other token is O (ORG and LOC
are not people, so for a model that knows one label they are plain negatives; MONEY and CHIP do
not concern it). The sentences are a fixed random sample (seed); `part="dev"` gives the `dev`
sentences just after the `limit` training ones in the same order, so the two never overlap.

`chip_ner.msra_names.v1` reads the same sentences with more of MSRA's labels (PERSON, ORG, LOC):
the first training of the main pipeline's tok2vec, which then learns the domain's COMPANY and CHIP
from the gold alone (MSRA's ORG mixes companies with governments, schools and newspapers, so it is
never taught as COMPANY).

Used by `configs/person_msra.cfg` and `configs/msra_tok2vec.cfg` (`spacy project run train-person`
and `train-msra-tok2vec` train them with `--code chip_ner/config_code/person_corpus.py`; the
absolute import below registers the project's tokenizer, norms and NER factory as well).
"""
from __future__ import annotations

import random
import re
import warnings
from typing import Callable, Iterable, Iterator

import srsly
from spacy.language import Language
from spacy.training import Example
from spacy.util import registry

from chip_ner import spacy_code  # noqa: F401  (the tokenizer, script norms and chip_ner_ner factory)
from chip_ner.candidates import bigram_embed  # noqa: F401  (chip_ner.BigramHashEmbed.v1, for the bigram candidate)
from chip_ner.pipeline.tokenizer import LATIN

MSRA_LABELS = ("PERSON", "ORG", "LOC")  # fetch-msra writes PER as PERSON
LATIN_OR_DIGIT = re.compile(f"[{LATIN}]")


def people_example(nlp: Language, record: dict, labels: Iterable[str] = ("PERSON",), latin_missing: bool = False) -> Example:
    """One MSRA sentence: its spans of `labels` (PERSON: MSRA's PER), O everywhere else. A span
    whose edge falls inside a Latin or digit run (`鲁石化A` in `鲁石化A19`) cannot be a span of
    this tokenizer: its tokens are left missing (neither taught as the label nor as O) and the
    sentence's line is recorded in `reference.user_data["msra_unaligned"]`. `latin_missing`: the
    Latin and digit tokens outside the spans are missing too, not O: MSRA never labels chips or money,
    so `H100` or `５０` unlabelled there is no evidence that such a token is outside every entity."""
    text = record["text"]
    reference = nlp.make_doc(text)
    spans, missing = [], []
    for start, end, label in record["label"]:
        if label not in labels:
            continue
        span = reference.char_span(start, end, label=label)
        if span is None:
            missing.append(reference.char_span(start, end, alignment_mode="expand"))
            reference.user_data.setdefault("msra_unaligned", []).append((record.get("meta", {}).get("line"), start, end, label))
            continue
        spans.append(span)
    if latin_missing:
        inside = {i for span in spans + missing for i in range(span.start, span.end)}
        missing += [reference[i:i + 1] for i, token in enumerate(reference)
                    if i not in inside and LATIN_OR_DIGIT.search(token.text)]
    reference.set_ents(spans, missing=missing, default="outside")
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
    return create_msra_names(path, limit, dev, seed, part, max_length, labels=["PERSON"])


@registry.readers("chip_ner.msra_names.v1")
def create_msra_names(path: str, limit: int = 10000, dev: int = 500, seed: int = 0, part: str = "train",
                      max_length: int = 0, labels: list[str] = list(MSRA_LABELS),
                      latin_missing: bool = False) -> Callable[[Language], Iterator[Example]]:
    """The same sentences with MSRA's `labels` (PERSON, ORG, LOC): what the main tok2vec learns
    from before the domain gold (configs/msra_tok2vec.cfg), names of every kind in context.
    `latin_missing`: Latin and digit tokens outside MSRA's spans are missing values (people_example)."""
    if "test" in str(path).rsplit("/", 1)[-1]:
        raise ValueError(f"{path}: the MSRA test sentences are the yardstick, never training data")
    unknown = sorted(set(labels) - set(MSRA_LABELS))
    if unknown:
        raise ValueError(f"{path}: MSRA has no label {unknown}; choose among {', '.join(MSRA_LABELS)}")
    records = [r for r in srsly.read_jsonl(path) if not max_length or len(r["text"]) <= max_length]
    chosen = sample(records, limit, dev, seed, part)

    def read(nlp: Language) -> Iterator[Example]:
        unaligned = []
        for record in chosen:
            example = people_example(nlp, record, labels, latin_missing)
            unaligned.extend(example.reference.user_data.get("msra_unaligned", []))
            yield example
        if unaligned:
            warnings.warn(f"{path}: {len(unaligned)} MSRA spans have an edge inside a Latin or digit token and were left "
                          f"missing, e.g. line {unaligned[0][0]} [{unaligned[0][1]}, {unaligned[0][2]}) {unaligned[0][3]}")

    return read
