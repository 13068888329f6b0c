"""PERSON from context: a name right after a job title or a byline marker.

The statistical NER learns people from 58 examples, so a person it has never seen is mostly
missed. News names people in a few fixed ways: a title right before the name
(`高级分析师Todd R. Weiss表示`, `人工智能专家哈比卜在`), an appositive (`作为首席设计官,Jony lve曾`)
and bylines (`记者 朱俊熹`, `文|自象限  周游`). `chip_ner_person_cues` runs after the
entity_ruler and before the NER: it adds such names where no entity is yet, repeats a name it
found at the name's other mentions in the same Doc (Latin names and Chinese names of three or
more characters only: `周游` is also a verb), and completes a gazetteer surname with the
capitalised given name before it (`Daniela Amodei`). The NER keeps entities set before it.

The cue lists (`configs/person_cues.jsonl`: titles, byline markers, words that follow a name)
and `configs/surnames.jsonl` (common Chinese surnames) were curated from general knowledge
without the articles, so they need no per-fold filtering. Matching runs on the script-normalised
text (the vocab's `lexeme_norm` table), so traditional text (`分析師`) matches simplified cues.
Self-contained (spaCy and srsly only), so `spacy package --code` can ship it.
"""
from __future__ import annotations

import re
from typing import Iterable, Optional

import srsly
from spacy import util
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import SimpleFrozenList, ensure_path

CUE_KINDS = ("title", "byline", "after", "surname")
HAN = r"\u3400-\u9fff"
# A Latin name: capitalised first word, then up to two more words, an initial (`R.`) allowed.
LATIN_NAME = re.compile(r"[A-Z][A-Za-z'’\-]+(?:[ \u00a0](?:[A-Z]\.[ \u00a0])?[A-Za-z][A-Za-z'’\-]+){0,2}(?![A-Za-z0-9])")
TRANSLITERATED_LEFT = re.compile(rf"[{HAN}]{{1,5}}[·・•]")  # 比尔·盖茨: up to the middle dot
HAN_CHAR = re.compile(rf"[{HAN}]")
HAN_RUN = re.compile(rf"[{HAN}]+")
SPACES = re.compile(r"[ \u00a0\u3000]*")
APPOSITIVE_COMMA = re.compile(r"[,，][ \u00a0\u3000]*")
OUTLET = re.compile(r"[^\s|丨:：]{2,12}[ \u00a0\u3000]+")
BYLINE_SEPARATOR = re.compile(r"[:：|丨/]")
BYLINE_GAP = re.compile(rf"\s*{BYLINE_SEPARATOR.pattern}?\s*")
LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9]")
APPOSITIVE_WINDOW = 15  # how far back `作为` may stand before `<title>,<name>`


def alternation(words: Iterable[str]) -> str:
    """A regex alternation, longest first, so `高级分析师` wins over `分析师`; a Latin cue only as a
    whole word (`VP`, not the start of `VPN`)."""
    parts = [rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])" if w.isascii() else re.escape(w)
             for w in sorted(set(words), key=len, reverse=True)]
    return "|".join(parts) or r"(?!x)x"


class PersonCues:
    def __init__(self, nlp: Language, name: str = "chip_ner_person_cues", propagate: bool = True,
                 extend_latin: bool = True):
        self.name = name
        self.vocab = nlp.vocab
        self.propagate = propagate
        self.extend_latin = extend_latin
        self.cues: list[dict[str, str]] = []
        self._compile()

    # -- set-up ---------------------------------------------------------------------------
    def initialize(self, get_examples=None, *, nlp: Optional[Language] = None,
                   cues: Optional[list[dict[str, str]]] = None) -> None:
        self.cues = list(cues or [])
        self._compile()

    def _words(self, kind: str) -> list[str]:
        return [c["cue"] for c in self.cues if c["kind"] == kind]

    def _compile(self) -> None:
        self.titles = re.compile(alternation(self._words("title")))
        self.bylines = re.compile(rf"(?:^|(?<=[\s(（\[【|丨]))(?:{alternation(self._words('byline'))})")
        self.after_words = sorted(set(self._words("after")), key=len, reverse=True)
        self.surnames = set(self._words("surname"))
        self.cue_words = set(self._words("title")) | set(self._words("byline"))
        self._looked_up: set[str] = set()
        # Full-width ASCII and the ideographic space fold to ASCII, one character for one.
        self._translation: dict[int, str] = {**{cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}, 0x3000: " "}

    @property
    def char_norms(self):
        lookups = self.vocab.lookups
        return lookups.get_table("lexeme_norm") if lookups.has_table("lexeme_norm") else {}

    def normalised(self, text: str) -> str:
        """Simplified script and ASCII for full-width, one character for one, so offsets stay
        those of `text`. Each character is looked up once (the vocab table hashes every key)."""
        new = {c for c in text if "\u3400" <= c <= "\u9fff"} - self._looked_up
        if new:
            norms = self.char_norms
            for char in new:
                norm = norms.get(char, char)
                if isinstance(norm, str) and len(norm) == 1 and norm != char:
                    self._translation[ord(char)] = norm
            self._looked_up |= new
        return text.translate(self._translation)

    # -- name shapes ----------------------------------------------------------------------
    def is_boundary(self, text: str, pos: int, bylines: bool = False) -> bool:
        """Can a name end before `pos`? Punctuation, space, end, Latin/digits, or a word that follows names."""
        if pos >= len(text):
            return True
        char = text[pos]
        if not HAN_CHAR.match(char):
            return not char.isalnum() or char.isascii()
        return not bylines and any(text.startswith(word, pos) for word in self.after_words)

    def han_name_end(self, text: str, start: int, bylines: bool = False) -> Optional[int]:
        """End of the shortest plausible Chinese name at `start` that reaches a boundary: a
        transliteration with `·` (2-4 characters after it), or a common surname plus one or two
        characters, with no cue inside. Shortest, because a name ends where a following word starts."""
        dot = TRANSLITERATED_LEFT.match(text, start)
        if dot:
            for end in range(dot.end() + 2, min(dot.end() + 4, len(text)) + 1):
                if HAN_RUN.fullmatch(text, dot.end(), end) and self.is_boundary(text, end, bylines):
                    return end
            return None
        surname_len = next((n for n in (2, 1) if text[start:start + n] in self.surnames), 0)
        if not surname_len or any(text.startswith(w, start) for w in self.after_words):
            return None
        for end in range(start + surname_len + 1, start + surname_len + 3):
            candidate = text[start:end]
            if len(candidate) != end - start or not HAN_RUN.fullmatch(candidate):
                continue
            if any(cue in candidate for cue in self.cue_words):
                continue
            if self.is_boundary(text, end, bylines):
                return end
        return None

    def name_end(self, text: str, start: int, bylines: bool = False) -> Optional[int]:
        latin = LATIN_NAME.match(text, start)
        if latin:
            return latin.end()
        return self.han_name_end(text, start, bylines)

    # -- finding names --------------------------------------------------------------------
    def after_title(self, text: str) -> Iterable[tuple[int, int]]:
        for cue in self.titles.finditer(text):
            start = cue.end()
            gap = SPACES.match(text, start).end()
            if gap < len(text) and text[gap] in ",，" and "作为" in text[max(0, cue.start() - APPOSITIVE_WINDOW):cue.start()]:
                gap = APPOSITIVE_COMMA.match(text, gap).end()
            end = self.name_end(text, gap)
            if end:
                yield gap, end

    def after_byline(self, text: str) -> Iterable[tuple[int, int]]:
        for cue in self.bylines.finditer(text):
            sep = BYLINE_GAP.match(text, cue.end())
            if len(cue.group()) == 1 and not BYLINE_SEPARATOR.search(sep.group()):
                continue  # `文`, `图` need a separator to be a byline
            if sep.end() == cue.end() and sep.end() < len(text) and HAN_CHAR.match(text, sep.end()):
                continue  # `记者会`, `编辑部`: not a byline without a separator
            for start in self.byline_name_starts(text, sep.end()):
                end = self.name_end(text, start, bylines=True)
                if end:
                    yield start, end
                    break

    @staticmethod
    def byline_name_starts(text: str, start: int) -> list[int]:
        """The name directly, or after the outlet (`文|自象限  周游`, `摄影:界面新闻 范剑磊`)."""
        starts = [start]
        outlet = OUTLET.match(text, start)
        if outlet:
            starts.append(outlet.end())
        return starts

    def __call__(self, doc: Doc) -> Doc:
        if not self.cues:
            return doc
        text = self.normalised(doc.text)
        taken = bytearray(len(text))  # characters inside an entity: overlap tests in O(span)
        for ent in doc.ents:
            taken[ent.start_char:ent.end_char] = b"\x01" * (ent.end_char - ent.start_char)
        found: list[Span] = []
        spans = sorted(set(self.after_title(text)) | set(self.after_byline(text)))
        if self.propagate:
            spans = sorted(set(spans) | set(self.repeats(text, spans)))
        for start, end in spans:
            if any(taken[start:end]):
                continue
            span = doc.char_span(start, end, label="PERSON")
            if span is not None:
                found.append(span)
                taken[start:end] = b"\x01" * (end - start)
        ents = list(doc.ents) + found
        if self.extend_latin:
            ents = [self.with_given_name(doc, ent, taken) for ent in ents]
        doc.ents = sorted(ents, key=lambda e: e.start)
        return doc

    @staticmethod
    def repeats(text: str, spans: list[tuple[int, int]]) -> Iterable[tuple[int, int]]:
        """Other mentions of a found name in the same Doc (not for short Chinese names). One
        scan of the text for all names: at each character that starts a name, the substrings
        of the names' lengths are looked up in a set, so the cost is linear in the text however
        many names were found. A Latin name must stand as a whole word."""
        by_length: dict[int, set[str]] = {}
        for name in {text[s:e] for s, e in spans}:
            if name[0].isascii() or len(name) >= 3:
                by_length.setdefault(len(name), set()).add(name)
        if not by_length:
            return
        firsts = {name[0] for names in by_length.values() for name in names}
        starts = re.compile("[" + "".join(re.escape(c) for c in sorted(firsts)) + "]")
        for first in starts.finditer(text):
            start = first.start()
            for length, names in by_length.items():
                end = start + length
                if text[start:end] not in names:
                    continue
                if text[start].isascii() and (LATIN_OR_DIGIT.match(text, start - 1) and start > 0
                                              or LATIN_OR_DIGIT.match(text, end)):
                    continue
                yield start, end

    @staticmethod
    def with_given_name(doc: Doc, ent: Span, taken: bytearray) -> Span:
        """`Amodei` (a known surname) after `Daniela ` -> `Daniela Amodei`."""
        if ent.label_ != "PERSON" or not re.fullmatch(r"[A-Z][A-Za-z'’\-]+", ent.text) or ent.start < 1:
            return ent
        given = doc[ent.start - 1]
        before = doc[ent.start - 2] if ent.start >= 2 else None
        if not given.whitespace_ or not re.fullmatch(r"[A-Z][a-z]+", given.text):
            return ent
        if before is not None and re.fullmatch(r"[A-Za-z]+", before.text) and before.whitespace_:
            return ent  # inside a longer Latin phrase: leave it
        if any(taken[given.idx:given.idx + len(given)]):
            return ent  # the given name is inside another entity
        return Span(doc, ent.start - 1, ent.end, label=ent.label, kb_id=ent.kb_id, span_id=ent.id)

    # -- serialisation: `nlp.to_bytes()` skips a component without to_bytes -----------------
    def _set_cues(self, cues: list[dict[str, str]]) -> None:
        self.cues = list(cues)
        self._compile()

    def to_bytes(self, *, exclude: Iterable[str] = SimpleFrozenList()) -> bytes:
        return util.to_bytes({"cues": lambda: srsly.json_dumps(self.cues)}, exclude)

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = SimpleFrozenList()) -> "PersonCues":
        util.from_bytes(bytes_data, {"cues": lambda b: self._set_cues(srsly.json_loads(b))}, exclude)
        return self

    # The file name stays `cues.json`, so pipelines trained before still load.
    def to_disk(self, path, *, exclude: Iterable[str] = SimpleFrozenList()) -> None:
        ensure_path(path).mkdir(parents=True, exist_ok=True)
        util.to_disk(path, {"cues.json": lambda p: srsly.write_json(p, self.cues)}, exclude)

    def from_disk(self, path, *, exclude: Iterable[str] = SimpleFrozenList()) -> "PersonCues":
        util.from_disk(path, {"cues.json": lambda p: self._set_cues(srsly.read_json(p))}, exclude)
        return self


def make_person_cues(nlp: Language, name: str, propagate: bool, extend_latin: bool) -> PersonCues:
    return PersonCues(nlp, name, propagate, extend_latin)


# The project's file and the wheel's copy of it may both be imported in one process (spaCy
# raises E004 for a second, different function under one name); they are the same code.
if not Language.has_factory("chip_ner_person_cues"):
    Language.factory("chip_ner_person_cues", default_config={"propagate": True, "extend_latin": True},
                     func=make_person_cues)
