"""MSRA sentences for the PERSON-only component: PER taught, everything else O, train and dev apart, never test."""
import pytest
from spacy.util import load_config

from chip_ner.config_code.person_corpus import create_msra_people, people_example
from chip_ner.io import write_jsonl
from conftest import ROOT, blank_zh

NLP = blank_zh()
RECORD = {"text": "新华社记者李鹏说投资5亿元", "label": [[0, 3, "ORG"], [5, 7, "PERSON"]]}


def test_person_is_taught_and_org_and_money_are_outside():
    reference = people_example(NLP, RECORD).reference
    assert [(e.text, e.label_) for e in reference.ents] == [("李鹏", "PERSON")]
    assert {t.ent_iob_ for t in reference if t.ent_type_ != "PERSON"} == {"O"}  # ORG, money: plain negatives


def test_train_and_dev_are_disjoint_and_fixed(tmp_path):
    path = tmp_path / "train.jsonl"
    write_jsonl(path, [{"text": f"第{i}句李鹏说", "label": [[3, 5, "PERSON"]]} for i in range(10)])
    train = [e.reference.text for e in create_msra_people(str(path), limit=6, dev=3, seed=1)(NLP)]
    dev = [e.reference.text for e in create_msra_people(str(path), limit=6, dev=3, seed=1, part="dev")(NLP)]
    assert len(train) == 6 and len(dev) == 3 and not set(train) & set(dev)
    assert train == [e.reference.text for e in create_msra_people(str(path), limit=6, dev=3, seed=1)(NLP)]


def test_the_test_file_is_refused(tmp_path):
    path = tmp_path / "test.jsonl"
    write_jsonl(path, [RECORD])
    with pytest.raises(ValueError, match="never training data"):
        create_msra_people(str(path))


def test_a_misaligned_name_is_an_error():
    with pytest.raises(ValueError, match="does not align"):
        people_example(NLP, {"text": "ab李鹏", "label": [[1, 4, "PERSON"]]})


@pytest.mark.parametrize("path,before", [
    ("configs/char_latin_cues_merge_person_lexicon.cfg", "chip_ner_merge_people"),  # the packaged pipeline
    ("configs/experiments/char_latin_cues_person.cfg", "ner"),
    ("configs/experiments/char_latin_cues_person_gap.cfg", "chip_ner_money"),
    ("configs/experiments/char_latin_cues_person_gap_filter.cfg", "chip_ner_person_filter")])
def test_the_configs_source_the_person_model_frozen(path, before):
    config = load_config(ROOT / path, interpolate=False)
    pipeline = config["nlp"]["pipeline"]
    assert pipeline[pipeline.index("person_ner") + 1] == before
    assert pipeline.index("person_ner") > pipeline.index("chip_ner_person_cues")
    assert config["components"]["person_ner"] == {"source": "${paths.person}"}
    assert config["paths"]["person"] == "training/person/model-best"  # what train-person writes
    assert config["training"]["frozen_components"] == ["person_ner"]
    person = load_config(ROOT / "configs" / "person_msra.cfg", interpolate=False)
    assert person["nlp"]["pipeline"] == ["person_ner"]
    assert person["components"]["person_ner"]["model"]["tok2vec"]["@architectures"] == "spacy.Tok2Vec.v2"  # own, no listener


@pytest.mark.parametrize("person_config,embed,lookups", [
    ("person_msra", "chip_ner.LexiconHashEmbed.v1", "chip_ner.lexicon_lookups.v1"),  # shipped
    ("experiments/person_msra_plain", "spacy.MultiHashEmbed.v2", "chip_ner.script_norms.v1")])
def test_a_person_model_reads_the_dictionary_words_it_embeds(person_config, embed, lookups):
    """A dictionary-word embedding without the dictionary in the vocab would see no word at all."""
    person = load_config(ROOT / "configs" / f"{person_config}.cfg", interpolate=False)
    assert person["components"]["person_ner"]["model"]["tok2vec"]["embed"]["@architectures"] == embed
    assert person["initialize"]["lookups"]["@misc"] == lookups


def test_the_packaged_pipeline_runs_the_person_model_on_a_clean_doc_after_the_lists_are_merged():
    pipeline = load_config(ROOT / "configs" / "char_latin_cues_merge_person_lexicon.cfg", interpolate=False)["nlp"]["pipeline"]
    order = ["entity_ruler", "chip_ner_person_cues", "chip_ner_hold_lists", "ner", "chip_ner_merge_lists",
             "chip_ner_hold_ents", "person_ner", "chip_ner_merge_people", "chip_ner_people_over_companies",
             "chip_ner_money", "chip_ner_span_rules",
             "chip_ner_canonical"]
    assert [name for name in pipeline if name in order] == order
