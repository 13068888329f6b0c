"""chip_ner_hold_lists / chip_ner_merge_lists: the NER may extend a listed name, never cut or relabel it.
chip_ner_hold_ents / chip_ner_merge_people: person_ner predicts on a clean Doc; its PERSON spans fill gaps and fix
the main NER's PERSON boundaries, and never replace anything else."""
import pytest
import spacy
from spacy.tokens import Doc, Span

from chip_ner.pipeline.lists import HELD_KEY, PRESET_KEY, SPANS_KEY, merged, merged_people

WORDS = ["SK", "海力士", "与", "中芯", "国际", "宣布", "合作", "黄仁勋", "称"]


def spans(doc, triples):
    return [Span(doc, start, end, label=label) for start, end, label in triples]


def doc_with(ents, words=WORDS):
    doc = Doc(spacy.blank("zh").vocab, words=words, spaces=[False] * len(words))
    doc.ents = spans(doc, ents)
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
    assert as_tuples(merged(list(doc.ents), spans(doc, held))) == expected


def test_hold_keeps_people_on_the_doc_and_merge_puts_the_rest_back():
    nlp = spacy.blank("zh")
    hold, merge = nlp.add_pipe("chip_ner_hold_lists"), nlp.add_pipe("chip_ner_merge_lists")
    doc = doc_with([(0, 1, "COMPANY"), (1, 2, "COMPANY"), (3, 4, "CHIP"), (7, 8, "PERSON")])
    doc = hold(doc)
    assert as_tuples(doc.ents) == as_tuples(doc.spans[PRESET_KEY]) == [(7, 8, "PERSON")]
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


# 本报 记者 李 舸 摄 ： 戴 爾 亞太 总裁 王 平 称
PEOPLE_WORDS = ["本报", "记者", "李", "舸", "摄", "：", "戴", "爾", "亞太", "总裁", "王", "平", "称"]


@pytest.mark.parametrize("held, people, protected, expected", [
    # a name the main NER missed: added
    ([(6, 8, "COMPANY")], [(10, 12, "PERSON")], [], [(6, 8, "COMPANY"), (10, 12, "PERSON")]),
    # the main NER's PERSON with a wrong boundary (李舸摄): replaced by person_ner's
    ([(2, 5, "PERSON")], [(2, 4, "PERSON")], [], [(2, 4, "PERSON")]),
    # one person span over two of the main NER's PERSON pieces: replaces both
    ([(10, 11, "PERSON"), (11, 12, "PERSON")], [(10, 12, "PERSON")], [], [(10, 12, "PERSON")]),
    # a COMPANY the MSRA model reads as a person (戴爾): the COMPANY stays
    ([(6, 8, "COMPANY")], [(6, 8, "PERSON")], [], [(6, 8, "COMPANY")]),
    ([(6, 9, "COMPANY")], [(6, 8, "PERSON")], [], [(6, 9, "COMPANY")]),
    # overlapping a PERSON and a COMPANY: nothing replaced
    ([(4, 5, "PERSON"), (6, 8, "COMPANY")], [(4, 7, "PERSON")], [], [(4, 5, "PERSON"), (6, 8, "COMPANY")]),
    # a PERSON that was on the Doc before the NER (a cue, a listed person): kept
    ([(2, 5, "PERSON")], [(2, 4, "PERSON")], [(2, 5, "PERSON")], [(2, 5, "PERSON")]),
    # the same span from both: once
    ([(10, 12, "PERSON")], [(10, 12, "PERSON")], [], [(10, 12, "PERSON")]),
    ([], [], [], []),
])
def test_merged_people(held, people, protected, expected):
    doc = doc_with([], PEOPLE_WORDS)
    assert as_tuples(merged_people(spans(doc, held), spans(doc, people), set(protected))) == expected


def test_hold_and_merge_around_a_person_component():
    nlp = spacy.blank("zh")
    hold, merge = nlp.add_pipe("chip_ner_hold_ents"), nlp.add_pipe("chip_ner_merge_people")
    doc = doc_with([], PEOPLE_WORDS)
    doc.ents = spans(doc, [(2, 5, "PERSON"), (6, 8, "COMPANY"), (10, 11, "PERSON")])
    doc.spans[SPANS_KEY] = spans(doc, [(6, 8, "COMPANY")])
    doc.spans[PRESET_KEY] = spans(doc, [(10, 11, "PERSON")])  # a cue
    doc = hold(doc)
    assert list(doc.ents) == [] and len(doc.spans[HELD_KEY]) == 3
    doc.ents = spans(doc, [(2, 4, "PERSON"), (6, 8, "PERSON"), (10, 12, "PERSON")])  # what person_ner would say
    doc = merge(doc)
    assert as_tuples(doc.ents) == [(2, 4, "PERSON"), (6, 8, "COMPANY"), (10, 11, "PERSON")]
    assert HELD_KEY not in doc.spans


def test_merge_without_hold_leaves_the_doc_alone():
    nlp = spacy.blank("zh")
    merge = nlp.add_pipe("chip_ner_merge_people")
    doc = doc_with([], PEOPLE_WORDS)
    doc.ents = spans(doc, [(2, 5, "PERSON")])
    assert as_tuples(merge(doc).ents) == [(2, 5, "PERSON")]
