"""Hold entities aside while an NER predicts, then merge its predictions back by a rule.

**The NER may extend a name the lists hold to the longer name the text writes.** The
entity_ruler sets the names of the patterns and the gazetteer before the NER, and spaCy's NER
keeps entities already on a Doc. A listed name inside a longer unlisted one then cuts it up:
with `中芯`, `SK` and `海力士` listed, `中芯国际` and `SK海力士` came out as pieces, as did `Maia`
in `Maia 200` and `联想` in `联想之星`, though the NER alone found the whole names (it is trained
on the gold alone and never sees ruler entities in training).

`chip_ner_hold_lists` (after the PERSON cues, before the NER) moves the ruler's entities of
`labels` from `doc.ents` into `doc.spans[SPANS_KEY]`, so the NER predicts them freely.
`chip_ner_merge_lists` (right after the NER) puts them back: an NER entity wins over the held
spans it overlaps only if it contains every one of them and has their label (an extension:
`SK海力士` over `SK` + `海力士`), and what it adds on either side is not a single Chinese
character; otherwise each held span wins and the NER entities it overlaps are dropped.
Entities of other labels (the PERSON cues, listed people) stay on the Doc throughout, so the
NER still fills in around them; they are recorded in `doc.spans[PRESET_KEY]`.

**The PERSON component (trained on 49,000 MSRA sentences) may correct the main NER's people.**
`person_ner` used to run after the main NER on a Doc that already had its entities, so it could
only fill gaps: where the main NER (trained on a few hundred chip-news paragraphs) had cut a
name wrongly (`李舸摄`, `王平伍`), the better boundary was never considered.
`chip_ner_hold_ents` (right before person_ner) moves every entity into `doc.spans[HELD_KEY]`, so
person_ner predicts on a clean Doc; `chip_ner_merge_people` (right after it) puts them back and
merges person_ner's PERSON spans:
- a span that overlaps no entity is added (the old gap filling);
- a span that overlaps only PERSON entities of the main NER replaces them (a boundary fix);
- a span that overlaps anything else is dropped: a CHIP, COMPANY or MONEY entity, or any entity
  that was on the Doc before the NER (a listed name in doc.spans[SPANS_KEY], a PERSON cue or a
  listed person in doc.spans[PRESET_KEY]).
The spans dropped are not lost: they are kept in `doc.spans[SET_ASIDE_KEY]`.

**A confident name wins over the main NER's COMPANY** (`chip_ner_people_over_companies`, right after
the merge). The main NER, which learnt COMPANY from chip news, labels names in general news
COMPANY (`江泽民`, `徐敬全`, `何小鹏`). Replacing every COMPANY that a person span overlaps was
measured and dropped: the MSRA model reads transliterated company names as people (`戴爾`,
`貝萊德`, `邁威爾`) and short company names as given names (`华岳` in `华岳证券`). This component
takes a set-aside person span back only when it has the shape of a name, 2-4 Chinese characters
that start with a common surname (`configs/surnames.jsonl`, compared in simplified script through
the vocab's `lexeme_norm`) and hold no character of transliteration (`尔`, `斯`, `莱`), or a
transliteration with a middle dot; when every entity it overlaps is an unlisted COMPANY or PERSON
(nothing from a list or a cue); and when it covers every such COMPANY whole (`梁见后` over `梁见`,
never `华岳` out of `华岳证券`). Each replacement is recorded in
`doc.user_data["chip_ner_people_over_companies"]`.

Self-contained (spaCy and srsly only), so `spacy package --code` can ship it.
"""
from __future__ import annotations

import bisect
import re
import unicodedata
from typing import Iterable, Optional

import srsly
from spacy import util
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import SimpleFrozenList, ensure_path

SPANS_KEY = "chip_ner_lists"
PRESET_KEY = "chip_ner_preset"  # the entities left on the Doc for the NER to keep (PERSON cues, listed people)
HELD_LABELS = ("CHIP", "COMPANY")
HELD_KEY = "chip_ner_before_people"  # every entity, while person_ner predicts on a clean Doc
SET_ASIDE_KEY = "chip_ner_people_set_aside"  # person_ner's spans that chip_ner_merge_people did not merge
HAN_NAME = re.compile(r"^[\u3400-\u9fff]{2,4}$")
DOTTED_NAME = re.compile(r"^[\u3400-\u9fff]{1,6}(?:[·・•][\u3400-\u9fff]{1,8})+$")  # 比尔·盖茨
# Characters of transliterated foreign names that Chinese given names hardly use (戴爾, 貝萊德, 邁威爾).
TRANSLITERATION = frozenset("尔爾斯萊莱逊遜茨兹茲丝絲瓦")


def is_han(char: str) -> bool:
    return unicodedata.name(char, "").startswith("CJK ")


def one_han_character(text: str) -> bool:
    return len(text) == 1 and is_han(text)


def extends(ent: Span, overlapping: list[Span], text: str) -> bool:
    """Does `ent` contain each of the held spans it overlaps, with their label, and more? Not
    when what it adds on a side is one Chinese character: in cross-validation such additions were
    the words around a listed name (`亚马逊会`, `自軟銀`, `路透報`), and names grow by words
    (`中芯国际`, `腾讯投资`, `三星證券`) or by a Latin or digit token (`MTIA 450`, `天玑9500s`)."""
    if not overlapping or not all(
            span.label == ent.label and ent.start <= span.start and span.end <= ent.end and len(span) < len(ent)
            for span in overlapping):
        return False
    left = text[ent.start_char:overlapping[0].start_char].strip()
    right = text[overlapping[-1].end_char:ent.end_char].strip()
    return not (one_han_character(left) or one_han_character(right))


class SortedSpans:
    """Non-overlapping spans sorted by start: the ones overlapping a span in O(log n), so a merge
    costs O(n log n) in the length of the Doc, not O(n^2)."""

    def __init__(self, spans: Iterable[Span]):
        self.spans = sorted(spans, key=lambda span: span.start)
        self.starts = [span.start for span in self.spans]
        self.ends = [span.end for span in self.spans]

    def overlapping(self, span: Span) -> list[Span]:
        return self.spans[bisect.bisect_right(self.ends, span.start):bisect.bisect_left(self.starts, span.end)]


def merged(ents: list[Span], held: list[Span]) -> list[Span]:
    """The Doc's entities after the NER plus the held list spans (which, coming from doc.ents,
    do not overlap one another), by the rule above."""
    if not held:
        return sorted(ents, key=lambda span: span.start)
    text = held[0].doc.text
    listed = SortedSpans(held)
    winners, free = [], []
    for ent in ents:
        overlapping = listed.overlapping(ent)
        if not overlapping:
            free.append(ent)
        elif extends(ent, overlapping, text):
            winners.append(ent)
    won = SortedSpans(winners)
    kept = free + winners + [span for span in listed.spans if not won.overlapping(span)]
    return sorted(kept, key=lambda span: span.start)


class HoldLists:
    """Moves the entities of `labels` from doc.ents into doc.spans[SPANS_KEY]."""

    def __init__(self, labels: Iterable[str]):
        self.labels = frozenset(labels)

    def __call__(self, doc: Doc) -> Doc:
        ents = list(doc.ents)
        doc.spans[SPANS_KEY] = [ent for ent in ents if ent.label_ in self.labels]
        doc.ents = doc.spans[PRESET_KEY] = [ent for ent in ents if ent.label_ not in self.labels]  # the NER keeps these
        return doc


def merge_lists(doc: Doc) -> Doc:
    held = list(doc.spans.get(SPANS_KEY, []))
    if held:
        doc.ents = merged(list(doc.ents), held)
    return doc


def hold_ents(doc: Doc) -> Doc:
    doc.spans[HELD_KEY] = list(doc.ents)
    doc.ents = []
    return doc


def span_key(span: Span) -> tuple[int, int, str]:
    return span.start, span.end, span.label_


def span_keys(spans) -> set[tuple[int, int, str]]:
    return {span_key(span) for span in spans}


def merged_people(held: list[Span], people: list[Span], protected: set[tuple[int, int, str]]) -> tuple[list[Span], list[Span]]:
    """The held entities with person_ner's `people` merged in by the module's rule, and the people
    set aside (those that overlap something the rule keeps, other than the same PERSON span)."""
    entities = SortedSpans(held)
    replaced: set[tuple[int, int, str]] = set()
    added, set_aside = [], []
    for person in people:
        overlapping = entities.overlapping(person)
        if not overlapping:
            added.append(person)
        elif [span_key(ent) for ent in overlapping] == [span_key(person)]:
            continue  # already there, from a cue or the main NER: nothing to merge or set aside
        elif all(ent.label_ == "PERSON" and span_key(ent) not in protected for ent in overlapping):
            replaced |= span_keys(overlapping)
            added.append(person)
        else:
            set_aside.append(person)
    kept = [ent for ent in held if span_key(ent) not in replaced]
    return sorted(kept + added, key=lambda span: span.start), set_aside


def protected_keys(doc: Doc) -> set[tuple[int, int, str]]:
    """The entities that were on the Doc before the NER: listed names, PERSON cues, listed people."""
    return span_keys(doc.spans.get(SPANS_KEY, [])) | span_keys(doc.spans.get(PRESET_KEY, []))


def merge_people(doc: Doc) -> Doc:
    if HELD_KEY not in doc.spans:
        return doc
    held = list(doc.spans[HELD_KEY])
    del doc.spans[HELD_KEY]
    people = [ent for ent in doc.ents if ent.label_ == "PERSON"]
    doc.ents, doc.spans[SET_ASIDE_KEY] = merged_people(held, people, protected_keys(doc))
    return doc


class PeopleOverCompanies:
    """A set-aside person span with the shape of a name replaces the unlisted COMPANY (and PERSON)
    entities it covers (the module's docstring says when)."""

    def __init__(self, nlp: Language, name: str = "chip_ner_people_over_companies"):
        self.name = name
        self.vocab = nlp.vocab
        self.surnames: frozenset[str] = frozenset()

    def initialize(self, get_examples=None, *, nlp: Optional[Language] = None,
                   cues: Optional[list[dict[str, str]]] = None) -> None:
        """`cues`: entries of chip_ner.person_cues.v1; those of kind `surname` are kept."""
        self.surnames = frozenset(c["cue"] for c in cues or [] if c["kind"] == "surname")

    def is_a_name(self, text: str) -> bool:
        if DOTTED_NAME.match(text):
            return True
        if not HAN_NAME.match(text) or TRANSLITERATION & set(text):
            return False
        norms = self.vocab.lookups.get_table("lexeme_norm") if self.vocab.lookups.has_table("lexeme_norm") else {}
        head = "".join(norms.get(char, char) for char in text[:2])
        return head[:1] in self.surnames or head in self.surnames

    def wins(self, person: Span, overlapping: list[Span], protected: set[tuple[int, int, str]]) -> bool:
        return (bool(overlapping) and self.is_a_name(person.text)
                and all(ent.label_ in ("COMPANY", "PERSON") and span_key(ent) not in protected for ent in overlapping)
                and all(person.start <= ent.start and ent.end <= person.end for ent in overlapping if ent.label_ == "COMPANY"))

    def __call__(self, doc: Doc) -> Doc:
        people = list(doc.spans.get(SET_ASIDE_KEY, []))
        if not people:
            return doc
        ents = list(doc.ents)  # spaCy builds the entity spans anew on every read of doc.ents
        entities, protected = SortedSpans(ents), protected_keys(doc)
        replaced: set[tuple[int, int, str]] = set()
        won, changes = [], []
        for person in people:
            overlapping = entities.overlapping(person)
            if self.wins(person, overlapping, protected):
                replaced |= span_keys(overlapping)
                won.append(person)
                changes.append((person.start_char, person.end_char, [(e.start_char, e.end_char, e.label_) for e in overlapping]))
        if won:
            doc.ents = sorted([ent for ent in ents if span_key(ent) not in replaced] + won, key=lambda span: span.start)
            won_keys = span_keys(won)
            doc.spans[SET_ASIDE_KEY] = [person for person in people if span_key(person) not in won_keys]
            doc.user_data.setdefault("chip_ner_people_over_companies", []).extend(changes)
        return doc

    # -- serialisation: `nlp.to_bytes()` skips a component without to_bytes -----------------
    def _set_surnames(self, surnames: list[str]) -> None:
        self.surnames = frozenset(surnames)

    def to_bytes(self, *, exclude: Iterable[str] = SimpleFrozenList()) -> bytes:
        return util.to_bytes({"surnames": lambda: srsly.json_dumps(sorted(self.surnames))}, exclude)

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = SimpleFrozenList()) -> "PeopleOverCompanies":
        util.from_bytes(bytes_data, {"surnames": lambda b: self._set_surnames(srsly.json_loads(b))}, exclude)
        return self

    def to_disk(self, path, *, exclude: Iterable[str] = SimpleFrozenList()) -> None:
        ensure_path(path).mkdir(parents=True, exist_ok=True)
        util.to_disk(path, {"surnames.json": lambda p: srsly.write_json(p, sorted(self.surnames))}, exclude)

    def from_disk(self, path, *, exclude: Iterable[str] = SimpleFrozenList()) -> "PeopleOverCompanies":
        util.from_disk(path, {"surnames.json": lambda p: self._set_surnames(srsly.read_json(p))}, exclude)
        return self


def make_hold_lists(nlp: Language, name: str, labels: list[str]) -> HoldLists:
    return HoldLists(labels)


def make_merge_lists(nlp: Language, name: str):
    return merge_lists


def make_hold_ents(nlp: Language, name: str):
    return hold_ents


def make_merge_people(nlp: Language, name: str):
    return merge_people


def make_people_over_companies(nlp: Language, name: str) -> PeopleOverCompanies:
    return PeopleOverCompanies(nlp, name)


# The project's file and the wheel's copy of it may both be imported in one process (spaCy
# raises E004 for a second, different function under one name); they are the same code.
if not Language.has_factory("chip_ner_hold_lists"):
    Language.factory("chip_ner_hold_lists", func=make_hold_lists, default_config={"labels": list(HELD_LABELS)})
if not Language.has_factory("chip_ner_merge_lists"):
    Language.factory("chip_ner_merge_lists", func=make_merge_lists)
if not Language.has_factory("chip_ner_hold_ents"):
    Language.factory("chip_ner_hold_ents", func=make_hold_ents)
if not Language.has_factory("chip_ner_merge_people"):
    Language.factory("chip_ner_merge_people", func=make_merge_people)
if not Language.has_factory("chip_ner_people_over_companies"):
    Language.factory("chip_ner_people_over_companies", func=make_people_over_companies)
