"""MSRA sentences for the PERSON-only component: PER taught, everything else O, train and dev apart, never test."""
import pytest
from spacy.util import load_config

from chip_ner.config_code.person_corpus import create_msra_names, create_msra_people, people_example
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


def test_a_span_inside_a_latin_run_is_left_missing_and_recorded():
    """`鲁石化A` in `鲁石化A19` (MSRA line 1376222): the tokenizer keeps `A19` whole, so the span
    cannot be taught; its tokens are neither ORG nor O, and the line is recorded."""
    record = {"text": "鲁石化A19李鹏说", "label": [[0, 4, "ORG"], [6, 8, "PERSON"]], "meta": {"line": 7}}
    reference = people_example(NLP, record, labels=("PERSON", "ORG")).reference
    assert [(e.text, e.label_) for e in reference.ents] == [("李鹏", "PERSON")]
    assert [t.ent_iob_ for t in reference][:4] == ["", "", "", ""]  # missing: 鲁 石 化 A19
    assert reference.user_data["msra_unaligned"] == [(7, 0, 4, "ORG")]


def test_the_reader_warns_with_the_count_of_spans_left_missing(tmp_path):
    path = tmp_path / "train.jsonl"
    write_jsonl(path, [{"text": "鲁石化A19涨", "label": [[0, 4, "ORG"]], "meta": {"line": 3}},
                       {"text": "李鹏说", "label": [[0, 2, "PERSON"]], "meta": {"line": 5}}])
    with pytest.warns(UserWarning, match="1 MSRA spans have an edge .* line 3 \\[0, 4\\) ORG"):
        examples = list(create_msra_names(str(path), limit=2, dev=0)(NLP))
    assert len(examples) == 2  # no sentence is dropped


@pytest.mark.parametrize("latin_missing,undecided", [(False, []), (True, ["H100", "５"])])
def test_latin_and_digit_tokens_outside_the_spans_are_missing_only_when_asked(latin_missing, undecided):
    """MSRA never labels chips or money: with `latin_missing`, `H100` and `５` are neither O nor a
    label, while a Latin run inside an MSRA span keeps its label and Han characters stay O."""
    record = {"text": "新华社A1记者H100李鹏说投资５亿元", "label": [[0, 5, "ORG"], [11, 13, "PERSON"]]}
    reference = people_example(NLP, record, ("PERSON", "ORG"), latin_missing).reference
    assert [(e.text, e.label_) for e in reference.ents] == [("新华社A1", "ORG"), ("李鹏", "PERSON")]
    assert [t.text for t in reference if t.ent_iob_ == ""] == undecided
    assert {t.ent_iob_ for t in reference if t.text in "记者说投资亿元"} == {"O"}


@pytest.mark.parametrize("labels,expected", [
    (["PERSON"], [("李鹏", "PERSON")]),
    (["PERSON", "ORG", "LOC"], [("新华社", "ORG"), ("李鹏", "PERSON")])])
def test_msra_names_teaches_the_labels_asked_for(tmp_path, labels, expected):
    path = tmp_path / "train.jsonl"
    write_jsonl(path, [RECORD])
    [example] = create_msra_names(str(path), limit=1, dev=0, labels=labels)(NLP)
    assert [(e.text, e.label_) for e in example.reference.ents] == expected


def test_msra_names_refuses_a_label_msra_does_not_have(tmp_path):
    with pytest.raises(ValueError, match="no label \\['COMPANY'\\]"):
        create_msra_names(str(tmp_path / "train.jsonl"), labels=["PERSON", "COMPANY"])


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


def test_the_packaged_config_trains_on_from_the_msra_tok2vec():
    """The main tok2vec is sourced from what train-msra-tok2vec writes, and is trained on (not frozen)."""
    config = load_config(ROOT / "configs" / "char_latin_cues_merge_person_lexicon.cfg", interpolate=False)
    assert config["components"]["tok2vec"] == {"source": "${paths.msra_tok2vec}"}
    assert config["paths"]["msra_tok2vec"] == "training/msra_tok2vec/model-best"
    assert "tok2vec" not in config["training"]["frozen_components"]
    assert config["components"]["ner"]["model"]["tok2vec"]["@architectures"] == "spacy.Tok2VecListener.v1"


def test_the_msra_tok2vec_config_learns_three_msra_labels_on_the_main_tok2vec():
    msra = load_config(ROOT / "configs" / "msra_tok2vec.cfg", interpolate=False)
    assert msra["nlp"]["pipeline"] == ["tok2vec", "ner"]
    assert msra["components"]["tok2vec"]["factory"] == "chip_ner_tok2vec"
    assert msra["components"]["tok2vec"]["model"]["embed"]["@architectures"] == "chip_ner.LexiconHashEmbed.v1"
    assert msra["initialize"]["lookups"]["@misc"] == "chip_ner.lexicon_lookups.v1"  # the embedding's dictionary words
    for part in ("train", "dev"):
        assert msra["corpora"][part]["@readers"] == "chip_ner.msra_names.v1"
    assert msra["corpora"]["train"]["labels"] == ["PERSON", "ORG", "LOC"]
    assert msra["corpora"]["train"]["latin_missing"] is False  # measured worse with true (the config says)
    assert msra["paths"]["msra_train"] == "assets/msra/train.jsonl"
