"""chip_ner_hold_lists / chip_ner_merge_lists: the NER may extend a listed name, never cut or relabel it."""
import pytest
import spacy
from spacy.tokens import Doc, Span

from chip_ner.pipeline.lists import SPANS_KEY, merged

WORDS = ["SK", "海力士", "与", "中芯", "国际", "宣布", "合作", "黄仁勋", "称"]


def doc_with(ents):
    doc = Doc(spacy.blank("zh").vocab, words=WORDS, spaces=[False] * len(WORDS))
    doc.ents = [Span(doc, start, end, label=label) for start, end, label in ents]
    return doc


def as_tuples(spans):
    return sorted((span.start, span.end, span.label_) for span in spans)


@pytest.mark.parametrize("ner, held, expected", [
    # the NER's longer name of the same label wins over every listed piece inside it
    ([(0, 2, "COMPANY")], [(0, 1, "COMPANY"), (1, 2, "COMPANY")], [(0, 2, "COMPANY")]),
    ([(3, 5, "COMPANY")], [(3, 4, "COMPANY")], [(3, 5, "COMPANY")]),
    # another label over a listed name: the list wins
    ([(3, 5, "CHIP")], [(3, 4, "COMPANY")], [(3, 4, "COMPANY")]),
    # a span crossing a listed name's edge: the list wins
    ([(1, 3, "COMPANY")], [(0, 2, "COMPANY")], [(0, 2, "COMPANY")]),
    # the NER found less than the list: the list wins
    ([(1, 2, "COMPANY")], [(0, 2, "COMPANY")], [(0, 2, "COMPANY")]),
    # the same span: kept once
    ([(0, 2, "COMPANY")], [(0, 2, "COMPANY")], [(0, 2, "COMPANY")]),
    # containing one listed piece and crossing another of another label: the list wins for both
    ([(0, 4, "COMPANY")], [(0, 1, "COMPANY"), (3, 5, "CHIP")], [(0, 1, "COMPANY"), (3, 5, "CHIP")]),
    # what the NER adds on a side is one Chinese character (a word around the name): the list wins
    ([(2, 4, "COMPANY")], [(3, 4, "COMPANY")], [(3, 4, "COMPANY")]),
    ([(7, 9, "PERSON")], [(7, 8, "PERSON")], [(7, 8, "PERSON")]),
    # three characters added: a name that grew
    ([(0, 2, "COMPANY")], [(0, 1, "COMPANY")], [(0, 2, "COMPANY")]),
    # apart from each other: both kept
    ([(7, 8, "PERSON")], [(3, 5, "COMPANY")], [(3, 5, "COMPANY"), (7, 8, "PERSON")]),
    ([], [(3, 5, "COMPANY")], [(3, 5, "COMPANY")]),
])
def test_merged(ner, held, expected):
    doc = doc_with(ner)
    held_spans = [Span(doc, start, end, label=label) for start, end, label in held]
    assert as_tuples(merged(list(doc.ents), held_spans)) == expected


def test_hold_keeps_people_on_the_doc_and_merge_puts_the_rest_back():
    nlp = spacy.blank("zh")
    hold, merge = nlp.add_pipe("chip_ner_hold_lists"), nlp.add_pipe("chip_ner_merge_lists")
    doc = doc_with([(0, 1, "COMPANY"), (1, 2, "COMPANY"), (3, 4, "CHIP"), (7, 8, "PERSON")])
    doc = hold(doc)
    assert as_tuples(doc.ents) == [(7, 8, "PERSON")]
    assert as_tuples(doc.spans[SPANS_KEY]) == [(0, 1, "COMPANY"), (1, 2, "COMPANY"), (3, 4, "CHIP")]
    # what an NER would do: the whole SK海力士 and nothing at 中芯
    doc.ents = list(doc.ents) + [Span(doc, 0, 2, label="COMPANY")]
    doc = merge(doc)
    assert as_tuples(doc.ents) == [(0, 2, "COMPANY"), (3, 4, "CHIP"), (7, 8, "PERSON")]


def test_a_doc_without_list_spans_is_left_alone():
    nlp = spacy.blank("zh")
    merge = nlp.add_pipe("chip_ner_merge_lists")
    doc = merge(doc_with([(7, 8, "PERSON")]))
    assert as_tuples(doc.ents) == [(7, 8, "PERSON")]


def test_hold_is_configurable_by_label():
    nlp = spacy.blank("zh")
    hold = nlp.add_pipe("chip_ner_hold_lists", config={"labels": ["CHIP"]})
    doc = hold(doc_with([(0, 2, "COMPANY"), (3, 4, "CHIP")]))
    assert as_tuples(doc.ents) == [(0, 2, "COMPANY")] and as_tuples(doc.spans[SPANS_KEY]) == [(3, 4, "CHIP")]
