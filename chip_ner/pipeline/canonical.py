"""Canonical IDs for CHIP, COMPANY and PERSON entities.

`ent.id_` is the canonical ID of a known name (英伟达 / 英偉達 / 輝達 / NVIDIA -> `nvidia`),
from an alias table built from the patterns' `id`s; an unknown name gets its normalised form
(simplified script, case-folded Latin, no spaces), so mentions still group across articles.
MONEY values (`ent._.money`) live with the MONEY matcher in money.py.
Self-contained (spaCy and srsly only), so `spacy package --code` can ship it.
"""
from __future__ import annotations

import unicodedata
from typing import Any, Iterable, Optional

import srsly
from spacy import util
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import SimpleFrozenList, ensure_path

ID_LABELS = ("CHIP", "COMPANY", "PERSON")


def normalise(text: str, char_norms) -> str:
    """Simplified script, case-folded, full-width folded (NFKC), without spaces, middle dots or
    format characters: the key aliases share (`Ｈ１００` and `H100`, `英\u200d伟达` and `英伟达`)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char_norms.get(c, c) for c in text
                   if not c.isspace() and c not in "·・." and unicodedata.category(c) != "Cf")


class CanonicalIds:
    def __init__(self, nlp: Language, name: str = "chip_ner_canonical"):
        self.name = name
        self.vocab = nlp.vocab
        self.aliases: dict[str, str] = {}

    @property
    def char_norms(self):
        """The vocab's `lexeme_norm` table (a spaCy Table: `.get` hashes the string), or {}."""
        lookups = self.vocab.lookups
        return lookups.get_table("lexeme_norm") if lookups.has_table("lexeme_norm") else {}

    def initialize(self, get_examples=None, *, nlp: Optional[Language] = None,
                   patterns: Optional[Iterable[dict[str, Any]]] = None) -> None:
        """Aliases from entity_ruler-style patterns that carry an `id`."""
        norms = self.char_norms
        self.aliases = {normalise(p["pattern"], norms): p["id"] for p in patterns or []
                        if isinstance(p.get("pattern"), str) and p.get("id") and p.get("label") in ID_LABELS}

    def __call__(self, doc: Doc) -> Doc:
        norms = None
        ents = []
        for ent in doc.ents:
            if ent.label_ in ID_LABELS and not ent.id_:
                norms = self.char_norms if norms is None else norms
                key = normalise(ent.text, norms)
                ent = Span(doc, ent.start, ent.end, label=ent.label, kb_id=ent.kb_id, span_id=self.aliases.get(key, key))
            ents.append(ent)
        doc.ents = ents
        return doc

    # -- serialisation: `nlp.to_bytes()` skips a component without to_bytes ---------------
    def _set_aliases(self, aliases: dict[str, str]) -> None:
        self.aliases = dict(aliases)

    def to_bytes(self, *, exclude: Iterable[str] = SimpleFrozenList()) -> bytes:
        return util.to_bytes({"aliases": lambda: srsly.json_dumps(self.aliases)}, exclude)

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = SimpleFrozenList()) -> "CanonicalIds":
        util.from_bytes(bytes_data, {"aliases": lambda b: self._set_aliases(srsly.json_loads(b))}, exclude)
        return self

    # The file name stays `aliases.json`, so pipelines trained before still load.
    def to_disk(self, path, *, exclude: Iterable[str] = SimpleFrozenList()) -> None:
        ensure_path(path).mkdir(parents=True, exist_ok=True)
        util.to_disk(path, {"aliases.json": lambda p: srsly.write_json(p, self.aliases)}, exclude)

    def from_disk(self, path, *, exclude: Iterable[str] = SimpleFrozenList()) -> "CanonicalIds":
        util.from_disk(path, {"aliases.json": lambda p: self._set_aliases(srsly.read_json(p))}, exclude)
        return self


def make_canonical_ids(nlp: Language, name: str) -> CanonicalIds:
    return CanonicalIds(nlp, name)


# The project's file and the wheel's copy of it may both be imported in one process (spaCy
# raises E004 for a second, different function under one name); they are the same code.
if not Language.has_factory("chip_ner_canonical"):
    Language.factory("chip_ner_canonical", func=make_canonical_ids)
