"""chip_ner_hold_lists / chip_ner_merge_lists: the NER may extend a listed name, never cut or relabel it.
chip_ner_hold_ents / chip_ner_merge_people: person_ner predicts on a clean Doc; its PERSON spans fill gaps and fix
the main NER's PERSON boundaries, and never replace anything else."""
import pytest
import spacy
from spacy.tokens import Doc, Span

from chip_ner.pipeline.lists import HELD_KEY, PRESET_KEY, SET_ASIDE_KEY, SPANS_KEY, merged, merged_people

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
    # the same span from both: once (also when it came from a cue)
    ([(10, 12, "PERSON")], [(10, 12, "PERSON")], [], [(10, 12, "PERSON")]),
    ([(10, 12, "PERSON")], [(10, 12, "PERSON")], [(10, 12, "PERSON")], [(10, 12, "PERSON")]),
    ([], [], [], []),
])
def test_merged_people(held, people, protected, expected):
    doc = doc_with([], PEOPLE_WORDS)
    merged_ents, set_aside = merged_people(spans(doc, held), spans(doc, people), set(protected))
    assert as_tuples(merged_ents) == expected
    # every person span is merged, set aside or already there, never lost
    assert sorted(as_tuples(set_aside) + [p for p in people if p in as_tuples(merged_ents)]) == sorted(people)
    assert not set(as_tuples(set_aside)) & set(as_tuples(merged_ents))


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
    assert as_tuples(doc.spans[SET_ASIDE_KEY]) == [(6, 8, "PERSON"), (10, 12, "PERSON")]


def test_merge_without_hold_leaves_the_doc_alone():
    nlp = spacy.blank("zh")
    merge = nlp.add_pipe("chip_ner_merge_people")
    doc = doc_with([], PEOPLE_WORDS)
    doc.ents = spans(doc, [(2, 5, "PERSON")])
    assert as_tuples(merge(doc).ents) == [(2, 5, "PERSON")]


@pytest.fixture(scope="module")
def over_companies():
    """chip_ner_people_over_companies with the project's surnames, in a pipeline whose vocab has the
    script table (traditional names compare as simplified)."""
    import chip_ner.spacy_code  # noqa: F401
    from chip_ner.config_code.readers import read_person_cues
    from conftest import ROOT, blank_zh

    nlp = blank_zh()
    nlp.vocab.lookups.add_table("lexeme_norm", {"鄭": "郑", "義": "义"})
    component = nlp.add_pipe("chip_ner_people_over_companies")
    component.initialize(cues=read_person_cues([str(ROOT / "configs" / "surnames.jsonl")]))
    return nlp, component


def with_people(nlp, text, ents, set_aside, listed=()):
    """`text` with entities, set-aside person spans and listed names given as (surface, label)."""
    def span(surface, label):
        return doc.char_span(text.index(surface), text.index(surface) + len(surface), label=label)
    doc = nlp.make_doc(text)
    doc.ents = [span(*e) for e in ents]
    doc.spans[SET_ASIDE_KEY] = [span(s, "PERSON") for s in set_aside]
    doc.spans[SPANS_KEY] = [span(*e) for e in listed]
    return doc


@pytest.mark.parametrize("text, ents, set_aside, listed, expected", [
    # a Chinese name the main NER labelled COMPANY, exactly
    ("徐敬全表示", [("徐敬全", "COMPANY")], ["徐敬全"], [], [("徐敬全", "PERSON")]),
    # traditional script: the surname is compared in simplified script
    ("鄭義宣與", [("鄭義宣", "COMPANY")], ["鄭義宣"], [], [("鄭義宣", "PERSON")]),
    # the person span covers the COMPANY piece (梁见后 over 梁见)
    ("梁见后表示", [("梁见", "COMPANY")], ["梁见后"], [], [("梁见后", "PERSON")]),
    # a transliterated name with a middle dot
    ("前任里奇·谭普顿离开", [("里奇·谭普顿", "COMPANY")], ["里奇·谭普顿"], [], [("里奇·谭普顿", "PERSON")]),
    # a COMPANY longer than the person span: a short company name, not a person (华岳证券)
    ("华岳证券分析师", [("华岳证券", "COMPANY")], ["华岳"], [], [("华岳证券", "COMPANY")]),
    # transliterated company names (戴爾, 貝萊德): no surname shape wins over them
    ("戴爾亞太", [("戴爾", "COMPANY")], ["戴爾"], [], [("戴爾", "COMPANY")]),
    ("貝萊德基金", [("貝萊德", "COMPANY")], ["貝萊德"], [], [("貝萊德", "COMPANY")]),
    # no common surname first
    ("阿里巴巴的", [("阿里巴巴", "COMPANY")], ["阿里巴巴"], [], [("阿里巴巴", "COMPANY")]),
    # a listed name is never replaced
    ("何小鹏表示", [("何小鹏", "COMPANY")], ["何小鹏"], [("何小鹏", "COMPANY")], [("何小鹏", "COMPANY")]),
    # a CHIP or MONEY overlapped: nothing replaced
    ("张江芯片", [("张江", "CHIP")], ["张江"], [], [("张江", "CHIP")]),
    # nothing set aside
    ("徐敬全表示", [("徐敬全", "COMPANY")], [], [], [("徐敬全", "COMPANY")]),
])
def test_people_over_companies(over_companies, text, ents, set_aside, listed, expected):
    nlp, component = over_companies
    doc = component(with_people(nlp, text, ents, set_aside, listed))
    assert [(e.text, e.label_) for e in doc.ents] == expected
    replaced = [text[a:b] for a, b, _ in doc.user_data.get("chip_ner_people_over_companies", [])]
    assert replaced == [e for e, label in expected if label == "PERSON"]
    assert all(s.text not in replaced for s in doc.spans[SET_ASIDE_KEY])  # what won is no longer set aside


def test_people_over_companies_keeps_its_surnames(over_companies, tmp_path):
    nlp, component = over_companies
    component.to_disk(tmp_path)
    again = nlp.create_pipe("chip_ner_people_over_companies").from_disk(tmp_path)
    assert again.surnames == component.surnames and "徐" in again.surnames
    assert nlp.create_pipe("chip_ner_people_over_companies").from_bytes(component.to_bytes()).surnames == component.surnames
