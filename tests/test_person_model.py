"""The PERSON component's evaluation helpers: surnames, the filter put around person_ner, person_ner swapped."""
import spacy
from spacy.language import Language
from spacy.tokens import Span

import pytest

from chip_ner.evaluation.person_model import main, surnames, swap_person, with_filter
from chip_ner.pipeline import tokenizer  # noqa: F401  (registers the tokenizer)
from conftest import ROOT

CONFIG = {"nlp": {"tokenizer": {"@tokenizers": "chip_ner.CharLatinTokenizer.v1"}}}


@Language.component("test_people_a")
def people_a(doc):
    doc.ents = [Span(doc, 0, 3, label="PERSON")]  # 亚马逊: no surname
    return doc


@Language.component("test_people_b")
def people_b(doc):
    doc.ents = [Span(doc, 4, 6, label="PERSON")]  # 李鹏
    return doc


def pipeline(component):
    nlp = spacy.blank("zh", config=CONFIG)
    nlp.add_pipe(component, name="person_ner")
    return nlp


def test_the_project_surname_list_reads():
    assert {"王", "李", "张"} <= surnames(ROOT / "configs" / "surnames.jsonl")


def test_with_filter_puts_the_snapshot_before_and_the_filter_after_person_ner():
    nlp = with_filter(pipeline("test_people_a"), {"李"})
    assert nlp.pipe_names == ["chip_ner_ents_snapshot", "person_ner", "chip_ner_person_filter"]
    assert list(nlp("亚马逊和李鹏").ents) == []


def test_swap_person_takes_person_ner_from_another_pipeline(tmp_path):
    pipeline("test_people_b").to_disk(tmp_path / "b")
    nlp = pipeline("test_people_a")
    swap_person(nlp, tmp_path / "b")
    assert [e.text for e in nlp("亚马逊和李鹏").ents] == ["李鹏"] and nlp.pipe_names == ["person_ner"]
    nlp.add_pipe("test_people_a", name="first", first=True)
    nlp.add_pipe("test_people_a", name="last")
    swap_person(nlp, tmp_path / "b")
    assert nlp.pipe_names == ["first", "person_ner", "last"]


def test_save_writes_the_pipeline_with_the_other_person_ner(tmp_path):
    pipeline("test_people_a").to_disk(tmp_path / "a")
    pipeline("test_people_b").to_disk(tmp_path / "b")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "stale.txt").write_text("from an earlier run")
    report = main([str(tmp_path / "a"), "--output", str(tmp_path / "unused.json"),
                   "--person", str(tmp_path / "b"), "--save", str(tmp_path / "out")])
    assert report == {"saved": str(tmp_path / "out"), "pipeline": ["person_ner"]}
    assert [e.text for e in spacy.load(tmp_path / "out")("亚马逊和李鹏").ents] == ["李鹏"]
    assert not (tmp_path / "out" / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left behind
    assert [e.text for e in spacy.load(tmp_path / "a")("亚马逊和李鹏").ents] == ["亚马逊"]  # the source is untouched


@pytest.mark.parametrize("models,person", [(["a"], []), (["a", "c"], ["--person", "b"])])
def test_save_needs_one_model_and_a_person(tmp_path, models, person, capsys):
    with pytest.raises(SystemExit):
        main([*models, "--output", "x.json", "--save", str(tmp_path / "out"), *person])
    assert "--save needs --person and exactly one model" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@Language.component("test_whole_text_company")
def whole_text_company(doc):
    doc.ents = [Span(doc, 0, 2, label="COMPANY")]
    return doc


def fold_models(workdir):
    """A blank fold model for each fold of tests/data (900, 901) that labels its first two
    characters COMPANY, then extends that COMPANY to a legal name (the shipped rule)."""
    from chip_ner.evaluation.training import fold_model_path
    from chip_ner.pipeline import continuations  # noqa: F401  (registers the factory)
    for held_out in ("900", "901"):
        nlp = spacy.blank("zh", config=CONFIG)
        nlp.add_pipe("test_whole_text_company")
        nlp.add_pipe("chip_ner_legal_names")
        fold_model_path(workdir, held_out).parent.mkdir(parents=True)
        nlp.to_disk(fold_model_path(workdir, held_out))


def test_repredict_without_a_rule_predicts_with_the_same_fold_models_minus_that_rule(small, tmp_path):
    from chip_ner.evaluation.person_model import repredict
    from conftest import read_records, write_records
    paragraphs = read_records(small / "paragraphs.jsonl")
    paragraphs[2]["text"] = "华泰联合证券有限责任公司发布报告。"  # a legal name after the predicted `华泰`
    paragraphs[2]["end"] = paragraphs[2]["start"] + len(paragraphs[2]["text"])
    gold = read_records(small / "gold.jsonl")
    gold[2].update(text=paragraphs[2]["text"], label=[[0, 12, "COMPANY"]])
    write_records(small / "paragraphs.jsonl", paragraphs)
    write_records(small / "gold.jsonl", gold)
    fold_models(tmp_path / "cv")
    args = (tmp_path / "cv", small / "gold.jsonl", small / "paragraphs.jsonl")
    assert repredict(*args, tmp_path / "with.jsonl", None, False) == 3
    assert repredict(*args, tmp_path / "without.jsonl", None, True, without=("chip_ner_legal_names",)) == 3
    with_rule = {r["id"]: r for r in read_records(tmp_path / "with.jsonl")}
    without_rule = {r["id"]: r for r in read_records(tmp_path / "without.jsonl")}
    assert with_rule["901-p000"]["label"] == [[0, 12, "COMPANY"]]
    assert without_rule["901-p000"]["label"] == [[0, 2, "COMPANY"]] and without_rule["901-p000"]["ablated"]
    assert with_rule["900-p000"]["label"] == without_rule["900-p000"]["label"] == [[0, 2, "COMPANY"]]
    # removed and added again (`--with`): the fold models' own predictions
    assert repredict(*args, tmp_path / "again.jsonl", None, False, without=("chip_ner_legal_names",),
                     adding=("chip_ner_legal_names",)) == 3
    assert read_records(tmp_path / "again.jsonl") == read_records(tmp_path / "with.jsonl")


def test_repredict_without_a_component_the_fold_model_lacks_is_an_error(small, tmp_path):
    from chip_ner.evaluation.person_model import repredict
    fold_models(tmp_path / "cv")
    with pytest.raises(ValueError, match="no component 'chip_ner_money' to remove"):
        repredict(tmp_path / "cv", small / "gold.jsonl", small / "paragraphs.jsonl", tmp_path / "out.jsonl", None,
                  False, without=("chip_ner_money",))
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("name, pipeline, expected", [
    # after the nearest component before it in the training config
    ("chip_ner_people_over_companies", ["chip_ner_hold_ents", "chip_ner_merge_people", "chip_ner_money"],
     ["chip_ner_hold_ents", "chip_ner_merge_people", "chip_ner_people_over_companies", "chip_ner_money"]),
    ("chip_ner_model_numbers", ["chip_ner_tickers", "chip_ner_span_rules"],
     ["chip_ner_tickers", "chip_ner_model_numbers", "chip_ner_span_rules"]),
    # nothing before it: before the nearest after it; nothing of the config at all: last
    ("chip_ner_model_numbers", ["chip_ner_span_rules"], ["chip_ner_model_numbers", "chip_ner_span_rules"]),
    ("chip_ner_model_numbers", [], ["chip_ner_model_numbers"]),
])
def test_a_component_is_added_where_and_as_the_training_config_says(name, pipeline, expected):
    from chip_ner.evaluation.person_model import add_as_configured
    from conftest import ROOT, blank_zh
    nlp = blank_zh(*pipeline)
    component = add_as_configured(nlp, name, ROOT / "configs" / "char_latin_cues_merge_person_lexicon.cfg")
    assert nlp.pipe_names == expected
    if name == "chip_ner_people_over_companies":  # initialised from [initialize.components.<name>]
        assert {"王", "李", "徐"} <= component.surnames


def test_adding_a_component_the_config_lacks_is_an_error():
    from chip_ner.evaluation.person_model import add_as_configured
    from conftest import ROOT, blank_zh
    with pytest.raises(ValueError, match="no component 'chip_ner_person_filter' in its pipeline"):
        add_as_configured(blank_zh(), "chip_ner_person_filter", ROOT / "configs" / "char_latin_cues_merge_person_lexicon.cfg")
