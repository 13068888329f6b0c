"""chip_ner_span_rules: no entity starts or ends with whitespace, punctuation or a format
character, entities never overlap, and nothing is dropped without a record."""
import random

import pytest
from spacy.tokens import Span

import chip_ner.spacy_code  # noqa: F401
from chip_ner.pipeline.spans import is_edge_junk, trimmed
from conftest import blank_zh

FUZZ_CHARS = list("英伟达台积电超微芯片美元亿兆") + list("HNVa19") + list("，。（）《》「」、：；！？,.()!?-_·") + \
    [" ", "\u3000", "\n", "\t", "\u200b", "\u200d", "\u200c", "\u00ad", "\ufeff", "Ｈ", "１", "＄"]


@pytest.fixture(scope="module")
def nlp():
    return blank_zh("chip_ner_span_rules")


def with_ents(nlp, text, spans):
    doc = nlp.make_doc(text)
    doc.ents = [Span(doc, start, end, label=label, span_id=span_id) for start, end, label, span_id in spans]
    return nlp.get_pipe("chip_ner_span_rules")(doc)


@pytest.mark.parametrize("char,junk", [("，", True), (",", True), (" ", True), ("\u3000", True), ("\u200d", True),
                                       ("\u00ad", True), ("（", True), ("_", True), ("$", False), ("英", False),
                                       ("Ｈ", False), ("·", True), ("1", False),
                                       ("🍎", True), ("™", True), ("\ufe0f", True), ("\U0001f3fb", True),
                                       ("¥", False), ("₹", False), ("+", False)])
def test_edge_junk(char, junk):
    assert is_edge_junk(char) is junk


@pytest.mark.parametrize("text,start,end,expected", [
    ("（超微）", 0, 3, (1, 3)),
    ("Trump，", 0, 6, (0, 5)),
    ("，。", 0, 2, None),
    ("英伟达", 0, 3, (0, 3)),
    ("🍎 苹果", 0, 4, (2, 4)),
])
def test_trimmed(text, start, end, expected):
    assert trimmed(text, start, end) == expected


def test_trims_token_edges_and_keeps_ids(nlp):
    doc = with_ents(nlp, "美国总统Donald Trump，表示（超微）", [(4, 7, "PERSON", "trump"), (9, 12, "COMPANY", "")])
    assert [(e.text, e.label_, e.id_) for e in doc.ents] == [("Donald Trump", "PERSON", "trump"), ("超微", "COMPANY", "")]
    assert [t.ent_iob_ for t in doc][6] == "O"  # the comma left the entity
    assert doc.user_data["chip_ner_trimmed"] == [(4, 17, "PERSON", (4, 16)), (19, 22, "COMPANY", (20, 22))]


def test_splits_a_glued_format_character_off(nlp):
    doc = with_ents(nlp, "英伟达\u200d发布", [(0, 3, "COMPANY", "nvidia")])
    assert nlp.make_doc("英伟达\u200d发布")[2].text == "达\u200d"  # glued by the tokenizer
    assert [(e.text, e.id_) for e in doc.ents] == [("英伟达", "nvidia")]
    assert doc.text == "英伟达\u200d发布" and [t.text for t in doc][2:4] == ["达", "\u200d"]


def test_all_junk_entity_is_removed_and_recorded(nlp):
    doc = with_ents(nlp, "他说！好", [(2, 3, "PERSON", "")])
    assert list(doc.ents) == []
    assert doc.user_data["chip_ner_trimmed"] == [(2, 3, "PERSON", None)]


def test_unchanged_doc_is_untouched(nlp):
    doc = with_ents(nlp, "英伟达发布H100", [(0, 3, "COMPANY", "nvidia"), (5, 6, "CHIP", "")])
    assert [e.text for e in doc.ents] == ["英伟达", "H100"] and "chip_ner_trimmed" not in doc.user_data


def random_text(rng):
    return "".join(rng.choice(FUZZ_CHARS) for _ in range(rng.randint(1, 40)))


def test_property_random_entities_on_random_text(nlp):
    """2,000 random texts with random non-overlapping entities: afterwards every entity is
    junk-free at both edges, entities do not overlap, text and offsets are unchanged, and every
    entity that was not kept as it was is recorded."""
    rng = random.Random(14)
    for _ in range(2000):
        text = random_text(rng)
        doc = nlp.make_doc(text)
        ents, i = [], 0
        while i < len(doc):
            length = rng.randint(1, 4)
            if rng.random() < 0.4 and i + length <= len(doc):
                ents.append(Span(doc, i, i + length, label=rng.choice(["CHIP", "COMPANY", "MONEY", "PERSON"])))
                i += length
            i += 1
        doc.ents = ents
        before = {(e.start_char, e.end_char, e.label_) for e in doc.ents}
        doc = nlp.get_pipe("chip_ner_span_rules")(doc)
        assert doc.text == text
        after = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
        for (start, end, _), ent in zip(after, doc.ents):
            assert ent.text == text[start:end] and not is_edge_junk(text[start]) and not is_edge_junk(text[end - 1])
        assert all(a[1] <= b[0] for a, b in zip(after, after[1:]))
        recorded = {(s, e, label) for s, e, label, _ in doc.user_data.get("chip_ner_trimmed", [])}
        assert before - set(after) == recorded
