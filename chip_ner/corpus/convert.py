"""Gold -> train/dev DocBins, split by article, tokenized by the pipeline's own tokenizer.

A gold span that does not align with the tokenizer's token boundaries could not be learned
or predicted exactly, so it fails the step and is named. Only the segmenter comparison may
pass `allow_misaligned`: such a paragraph is then stored with one token per character, so
the reference keeps the exact gold (training aligns it to the pipeline's tokens and treats
the misaligned entity as missing, and scoring compares character offsets).

The gold is read twice, a line at a time: a first pass checks every record (nothing is written
when one is bad, and every bad one is named) and keeps none; the second converts each record and
appends its Doc to the train or dev file being written (`DocBinWriter`), so memory holds the
cleaned paragraphs and one Doc, not the corpus. Both files are written beside their targets and
moved into place together, or not at all.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin
from spacy.util import get_words_and_spaces, load_config

from ..errors import ChipNerError, Problem
from ..io import atomic_paths
from ..pipeline import tokenizer  # noqa: F401  (registers chip_ner.CharLatinTokenizer.v1)
from ..records import GoldRecord, check_gold, iter_gold, load_paragraphs, split_ids
from .docbin_writer import DocBinWriter


@dataclass
class ConvertReport:
    docs: Counter = field(default_factory=Counter)
    spans: Counter = field(default_factory=Counter)
    per_label: dict = field(default_factory=dict)
    misaligned: list[Problem] = field(default_factory=list)


def tokenizer_from_config(config_path: Path, code: Optional[Path] = None) -> Language:
    """A blank pipeline with just the config's tokenizer, initialised (pkuseg needs a model)."""
    if code is not None:
        spacy.util.import_file("chip_ner_code", code)
    config = load_config(config_path, interpolate=False)
    nlp = spacy.blank(config["nlp"]["lang"], config={"nlp": {"tokenizer": config["nlp"]["tokenizer"]}})
    init = config.get("initialize", {}).get("tokenizer", {})
    if hasattr(nlp.tokenizer, "initialize") and init.get("pkuseg_model"):
        nlp.tokenizer.initialize(**init)
    return nlp


def char_doc(nlp: Language, text: str) -> Doc:
    words, spaces = get_words_and_spaces([c for c in text if not c.isspace()], text)
    return Doc(nlp.vocab, words=words, spaces=spaces)


def record_to_doc(nlp: Language, record: GoldRecord, gold_path: Path,
                  allow_misaligned: bool, report: ConvertReport) -> Doc:
    doc = nlp.make_doc(record.text)
    spans = [doc.char_span(s, e, label=label) for s, e, label in record.spans]
    bad = [(s, e, label) for span, (s, e, label) in zip(spans, record.spans) if span is None]
    for s, e, label in bad:
        tokens = [t.text for t in doc if t.idx < e and t.idx + len(t) > s]
        report.misaligned.append(Problem(gold_path, f"{record.id}: {label} span {record.text[s:e]!r} does not align "
                                                    f"with the tokens {tokens}", line=record.line, offset=s))
    if bad and allow_misaligned:
        doc = char_doc(nlp, record.text)
        spans = [doc.char_span(s, e, label=label) for s, e, label in record.spans]
    doc.ents = [span for span in spans if span is not None]
    doc.user_data["id"] = record.id
    return doc


def convert(gold: Path, paragraphs: Path, config: Path, train_output: Path, dev_output: Path,
            dev_articles: str, *, code: Optional[Path] = None, allow_misaligned: bool = False) -> ConvertReport:
    """Write train/dev DocBins; no article is in both."""
    paragraph_records = load_paragraphs(paragraphs)
    check_gold(gold, paragraph_records)  # every record checked, none kept
    dev = set(split_ids(dev_articles))
    known = {p["article"] for p in paragraph_records.values()}  # every paragraph has a record
    if not dev or not dev <= known or dev == known:
        raise ChipNerError("Invalid article split", [Problem(config, f"dev articles {sorted(dev)} must be a non-empty, "
                                                                     f"proper subset of {sorted(known)}")],
                           "Set vars.dev_articles in project.yml.")
    nlp = tokenizer_from_config(config, code)
    report = ConvertReport()
    labels: dict[str, Counter] = {"train": Counter(), "dev": Counter()}
    with atomic_paths(train_output, dev_output) as temps:
        writers: dict[str, DocBinWriter] = {}
        try:
            for part, tmp in zip(("train", "dev"), temps):  # spools beside the outputs, anonymous
                writers[part] = DocBinWriter(store_user_data=True, folder=Path(tmp).parent)
            for record in iter_gold(gold, paragraph_records):  # checked again: the file may have changed
                part = "dev" if record.article in dev else "train"
                writers[part].add(record_to_doc(nlp, record, gold, allow_misaligned, report))
                report.docs[part] += 1
                report.spans[part] += len(record.spans)
                labels[part].update(label for _, _, label in record.spans)
            report.per_label = {part: dict(counts) for part, counts in labels.items()}
            if report.misaligned and not allow_misaligned:
                raise ChipNerError(f"{len(report.misaligned)} gold spans do not align with the tokenizer of {config}",
                                   report.misaligned, "Use a tokenizer that keeps entity boundaries (see README, segmenters).")
            for tmp, writer in zip(temps, writers.values()):
                writer.write(tmp)
        finally:
            for writer in writers.values():
                writer.close()
    return report


def write_docbins(outputs: dict[Path, DocBin]) -> None:
    """Write all beside their targets, then move all into place: a failure (or a kill) leaves
    the old pair, never a new train with an old dev, and no partial temporary."""
    with atomic_paths(*outputs) as temps:
        for tmp, docbin in zip(temps, outputs.values()):
            docbin.to_disk(tmp)


def read_docs(path: Path, nlp: Language) -> Iterable[Doc]:
    return DocBin().from_disk(path).get_docs(nlp.vocab)


def write_docbin(docbin: DocBin, path: Path) -> None:
    """One DocBin, written the same way (cross-validation's folds)."""
    write_docbins({path: docbin})
