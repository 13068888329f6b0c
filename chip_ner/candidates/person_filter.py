"""Keep only the confident names of the MSRA-trained PERSON component (issue 10, a candidate).

`person_ner` (configs/person_msra.cfg) learnt people from People's Daily: it knows
Chinese names well and chip news poorly (it calls `亚马逊` or `谷歌雲` a person, and has never seen
a Latin name). Two components around it keep only its confident names:
`chip_ner_ents_snapshot` (just before it) notes the entities already on the Doc, and
`chip_ner_person_filter` (just after it) drops each *new* PERSON entity that is neither 2-4 Han
characters starting with a listed surname (one or two characters, compared in simplified script
through the vocab's `lexeme_norm`; `configs/surnames.jsonl`) nor a transliteration with a middle
dot (`比尔·盖茨`). Entities that were there before
(rules, cues, the main NER) are never touched. Self-contained (spaCy and srsly only). Not shipped: see chip_ner/candidates/__init__.py.
"""
from __future__ import annotations

import re
from typing import Iterable, Optional

import srsly
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import SimpleFrozenList, ensure_path

KEY = "chip_ner_ents_before_person"
HAN_NAME = re.compile(r"^[\u3400-\u9fff]+$")
TRANSLITERATED = re.compile(r"^[\u3400-\u9fff]{1,6}(?:[·・•][\u3400-\u9fff]{1,8})+$")  # 比尔·盖茨, 司马义·艾买提


def confident(text: str, surnames: set[str], norms: Optional[dict] = None, min_len: int = 2, max_len: int = 4) -> bool:
    """A Han name of `min_len`-`max_len` characters whose first one or two characters (in simplified
    script, through `norms`) are a listed surname, or a transliterated name with a middle dot."""
    if TRANSLITERATED.match(text):
        return True
    if not HAN_NAME.match(text) or not min_len <= len(text) <= max_len:
        return False
    head = "".join((norms or {}).get(ch, ch) for ch in text[:2])
    return head[:1] in surnames or head in surnames


class EntsSnapshot:
    def __init__(self, name: str = "chip_ner_ents_snapshot"):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        doc.user_data[KEY] = [(e.start, e.end, e.label) for e in doc.ents]
        return doc


class PersonFilter:
    def __init__(self, nlp: Language, name: str = "chip_ner_person_filter", min_len: int = 2, max_len: int = 4):
        self.name = name
        self.vocab = nlp.vocab
        self.min_len, self.max_len = min_len, max_len
        self.surnames: set[str] = set()

    def initialize(self, get_examples=None, *, nlp: Optional[Language] = None, surnames: Iterable = ()) -> None:
        """`surnames`: strings, or the cue entries of `chip_ner.person_cues.v1` (those of kind `surname`),
        so a config can read configs/surnames.jsonl with the reader the PERSON cues use."""
        self.surnames = {e if isinstance(e, str) else e["cue"] for e in surnames
                         if isinstance(e, str) or e.get("kind") == "surname"}

    def norms(self) -> dict:
        lookups = self.vocab.lookups
        return lookups.get_table("lexeme_norm") if lookups.has_table("lexeme_norm") else {}

    def __call__(self, doc: Doc) -> Doc:
        before = set(doc.user_data.pop(KEY, None) or ())
        norms = self.norms()
        kept = [e for e in doc.ents if (e.start, e.end, e.label) in before or e.label_ != "PERSON"
                or confident(e.text, self.surnames, norms, self.min_len, self.max_len)]
        if len(kept) != len(doc.ents):
            doc.set_ents(kept, default="outside")  # a dropped name's tokens: O, as the NER left them
        return doc

    def to_disk(self, path, *, exclude: Iterable[str] = SimpleFrozenList()) -> None:
        path = ensure_path(path)
        path.mkdir(parents=True, exist_ok=True)
        srsly.write_json(path / "surnames.json", sorted(self.surnames))

    def from_disk(self, path, *, exclude: Iterable[str] = SimpleFrozenList()) -> "PersonFilter":
        self.surnames = set(srsly.read_json(ensure_path(path) / "surnames.json"))
        return self


def make_snapshot(nlp: Language, name: str) -> EntsSnapshot:
    return EntsSnapshot(name)


def make_person_filter(nlp: Language, name: str, min_len: int, max_len: int) -> PersonFilter:
    return PersonFilter(nlp, name, min_len, max_len)


if not Language.has_factory("chip_ner_ents_snapshot"):
    Language.factory("chip_ner_ents_snapshot", func=make_snapshot)
if not Language.has_factory("chip_ner_person_filter"):
    Language.factory("chip_ner_person_filter", default_config={"min_len": 2, "max_len": 4}, func=make_person_filter)
