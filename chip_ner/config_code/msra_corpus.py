"""Training data: the domain gold plus sentences of the MSRA corpus that teach Chinese names in context.

`chip_ner.with_msra.v1` reads the domain DocBin as `spacy.Corpus.v1` does and adds up to `limit`
MSRA training sentences (from `chip-ner fetch-msra`'s train.jsonl). MSRA decides only what this
project's PERSON is: its `PER` spans become PERSON; its ORG spans (companies among governments,
parties and papers) and whatever the MONEY matcher finds are *missing* (the NER learns nothing
there, since MSRA never labels companies as this project does, money or chips); every other
token is O. The MSRA test sentences are never read here.
"""
from __future__ import annotations

import random
from typing import Callable, Iterator

import srsly
from spacy.language import Language
from spacy.tokens import Span
from spacy.training import Corpus, Example
from spacy.util import registry

from ..pipeline.money import find_money


def merged(spans: list[Span]) -> list[Span]:
    """Overlapping spans joined into their union (an ORG that holds an amount stays unknown throughout)."""
    result: list[Span] = []
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        if result and span.start < result[-1].end:
            last = result.pop()
            span = Span(span.doc, last.start, max(last.end, span.end))
        result.append(span)
    return result


def msra_example(nlp: Language, record: dict) -> Example:
    """One MSRA sentence as an Example: PERSON spans, ORG and MONEY missing, the rest O."""
    text = record["text"]
    reference = nlp.make_doc(text)
    names = [(s, e) for s, e, label in record["label"] if label == "PERSON"]
    people = [reference.char_span(s, e, label="PERSON") for s, e in names]
    for (start, end), span in zip(names, people):
        if span is None:  # never with the char+Latin tokenizer on MSRA text; an error, not a skip
            raise ValueError(f"MSRA line {record.get('meta', {}).get('line')}: PERSON [{start}, {end}) does not "
                             f"align with the tokenizer in {text!r}")
    unknown = [reference.char_span(s, e, alignment_mode="expand") for s, e, label in record["label"] if label == "ORG"]
    unknown += [reference.char_span(s, e, alignment_mode="expand") for s, e in find_money(text)]
    taken = {i for span in people for i in range(span.start, span.end)}
    missing = merged([span for span in unknown if span is not None and not taken & set(range(span.start, span.end))])
    reference.set_ents(people, missing=missing, default="outside")
    return Example(nlp.make_doc(text), reference)


@registry.readers("chip_ner.with_msra.v1")
def create_with_msra(path: str, msra: str, limit: int = 2000, seed: int = 0,
                     max_length: int = 0) -> Callable[[Language], Iterator[Example]]:
    """The domain corpus at `path`, then `limit` MSRA sentences that name a person (a fixed sample)."""
    domain = Corpus(path, max_length=max_length)
    records = [r for r in srsly.read_jsonl(msra) if any(label == "PERSON" for *_, label in r["label"])]
    random.Random(seed).shuffle(records)
    sample = records[:limit]

    def read(nlp: Language) -> Iterator[Example]:
        yield from domain(nlp)
        for record in sample:
            yield msra_example(nlp, record)

    return read
