"""chip_ner_person_filter keeps the PERSON component's confident names and never touches earlier entities."""
import spacy
from spacy.language import Language
from spacy.lookups import Lookups
from spacy.tokens import Span

from chip_ner.candidates import person_filter  # noqa: F401  (registers the two factories)
from chip_ner.candidates.person_filter import KEY, confident
from chip_ner.pipeline import tokenizer  # noqa: F401  (registers the tokenizer)

TEXT = "亚马逊的陳志明和克林顿见了亚马逊"


@Language.component("test_fake_person_ner")
def fake_person_ner(doc):
    """Stands in for person_ner: adds PERSON where nothing is yet (as spaCy's NER keeps preset entities)."""
    new = [Span(doc, 0, 3, label="PERSON"), Span(doc, 4, 7, label="PERSON"), Span(doc, 8, 11, label="PERSON")]
    taken = {i for e in doc.ents for i in range(e.start, e.end)}
    doc.ents = list(doc.ents) + [s for s in new if not taken & set(range(s.start, s.end))]
    return doc


def pipeline(preset=()):
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "chip_ner.CharLatinTokenizer.v1"}}})
    lookups = Lookups()
    lookups.add_table("lexeme_norm", {"陳": "陈"})
    nlp.vocab.lookups = lookups

    @Language.component(f"test_preset_{len(preset)}")
    def set_preset(doc):
        doc.ents = [Span(doc, s, e, label=l) for s, e, l in preset]
        return doc

    nlp.add_pipe(f"test_preset_{len(preset)}")
    nlp.add_pipe("chip_ner_ents_snapshot")
    nlp.add_pipe("test_fake_person_ner", name="person_ner")
    nlp.add_pipe("chip_ner_person_filter").initialize(surnames=["陈", "王"])
    return nlp


def test_new_people_need_a_surname_and_are_compared_in_simplified_script():
    doc = pipeline()(TEXT)
    assert [(e.text, e.label_) for e in doc.ents] == [("陳志明", "PERSON")]  # 亚马逊, 克林顿: no listed surname
    assert KEY not in doc.user_data


def test_entities_set_before_are_kept_whatever_they_are():
    doc = pipeline(preset=[(0, 3, "COMPANY"), (8, 11, "PERSON")])(TEXT)
    assert [(e.text, e.label_) for e in doc.ents] == [("亚马逊", "COMPANY"), ("陳志明", "PERSON"), ("克林顿", "PERSON")]


def test_length_limits():
    names = {"王"}
    assert confident("王刚", names) and confident("王小二三", names)
    assert not confident("王", names) and not confident("王小二三四", names) and not confident("Wang", names)
    assert confident("比尔·盖茨", names) and not confident("·盖茨", names)


def test_surnames_survive_to_disk(tmp_path):
    nlp = pipeline()
    nlp.to_disk(tmp_path / "nlp")
    component = nlp.get_pipe("chip_ner_person_filter")
    assert component.from_disk(tmp_path / "nlp" / "chip_ner_person_filter").surnames == {"陈", "王"}


def test_surnames_also_come_as_cue_entries():
    nlp = pipeline()
    component = nlp.get_pipe("chip_ner_person_filter")
    component.initialize(surnames=[{"cue": "李", "kind": "surname"}, {"cue": "总裁", "kind": "title"}])
    assert component.surnames == {"李"}
