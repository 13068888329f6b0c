import json

import pytest
from conftest import DATA, ROOT, read_records, write_records

from chip_ner.evaluation.cross_validate import (
    article_folds,
    cross_validate,
    fold_lists,
    subsample,
)
from chip_ner.records import fold_patterns, load_gold

GOLD = load_gold(DATA / "gold.jsonl", DATA / "paragraphs.jsonl")


def test_one_fold_per_article_and_no_article_on_both_sides():
    folds = article_folds(GOLD)
    assert [held for held, _, _ in folds] == ["900", "901"]
    for held, train, test in folds:
        assert {r.article for r in test} == {held} and held not in {r.article for r in train}


def test_written_articles_are_held_out_by_topic_batch():
    """Seed articles are folds of their own; written articles of one batch go out together, so no
    held-out story is in the training data, and the patterns only that batch names are dropped."""
    from dataclasses import replace

    records = [replace(r, batch="w1") if r.article == "901" else r for r in GOLD]
    extra = replace(GOLD[0], id="902-p000", article="902", batch="w1")
    folds = article_folds(records + [extra])
    assert [held for held, _, _ in folds] == ["900", "w1"]
    held, train, test = folds[1]
    assert {r.article for r in test} == {"901", "902"} and {r.article for r in train} == {"900"}
    patterns = [{"label": "COMPANY", "pattern": "谷歌"}, {"label": "COMPANY", "pattern": "英伟达"}]
    assert [p["pattern"] for p in fold_patterns(patterns, records, "w1")] == ["英伟达"]  # 谷歌: only in 901


def test_subsample_is_deterministic_and_sized():
    assert subsample(GOLD, 1.0) == GOLD
    half = subsample(GOLD, 0.5)
    assert len(half) == 2 and half == subsample(GOLD, 0.5)


def test_cross_validate_predicts_every_held_out_paragraph(tmp_path):
    report = cross_validate(DATA / "gold.jsonl", DATA / "paragraphs.jsonl", ROOT / "configs/experiments/char_latin.cfg",
                            tmp_path / "cv", tmp_path / "pred.jsonl", curve_predictions=tmp_path / "curve.jsonl",
                            max_steps=4, fractions=(0.5, 1.0))
    pooled = read_records(tmp_path / "pred.jsonl")
    assert sorted(r["id"] for r in pooled) == ["900-p000", "900-p001", "901-p000"]
    assert all(r["fold"] == r["article"] for r in pooled)
    assert len(read_records(tmp_path / "curve.jsonl")) == 6 and len(report.folds) == 4


def test_script_test_uses_each_fold_model(tmp_path):
    from chip_ner.evaluation.script_test import script_test

    cross_validate(DATA / "gold.jsonl", DATA / "paragraphs.jsonl", ROOT / "configs/experiments/char_latin.cfg", tmp_path / "cv",
                   tmp_path / "pred.jsonl", max_steps=2)
    counts = script_test(DATA / "gold.jsonl", DATA / "paragraphs.jsonl", tmp_path / "cv", tmp_path / "other.jsonl")
    rows = read_records(tmp_path / "other.jsonl")
    assert counts == {"paragraphs": 3, "converted": 3}
    assert rows[0]["text"] == "英偉達H100芯片售價約2.5萬美元。"
    assert all(len(r["text"]) == len(g["text"]) for r, g in zip(rows, read_records(DATA / "paragraphs.jsonl")))


def lists_config(tmp_path):
    """A config that reads patterns and a gazetteer, with the project's script norms."""
    gazetteer = tmp_path / "gazetteer.jsonl"
    write_records(gazetteer, [{"label": "COMPANY", "pattern": p} for p in ("英伟达", "英偉達", "苹果", "Intel")])
    config = tmp_path / "lists.cfg"
    config.write_text(f'[paths]\npatterns = "unused"\ngazetteer = "{gazetteer}"\n\n[initialize]\n\n[initialize.lookups]\n'
                      f'@misc = "chip_ner.script_norms.v1"\npath = "{ROOT / "configs/t2s_chars.json"}"\n', encoding="utf-8")
    return config


PATTERNS = [{"label": "PERSON", "pattern": "黄仁勋"}, {"label": "COMPANY", "pattern": "谷歌"}]


def surfaces(entries):
    return sorted(e["pattern"] for e in entries or [])


def test_plain_folds_keep_the_gazetteer_and_drop_only_held_out_patterns(tmp_path):
    lists = fold_lists(lists_config(tmp_path), PATTERNS, GOLD, ablate_lists=False)
    fold, listed = lists["900"]
    assert surfaces(fold.patterns) == ["谷歌"] and surfaces(fold.gazetteer) == ["Intel", "英伟达", "英偉達", "苹果"]
    assert listed["900-p000"] == [[0, 3]] and listed["900-p001"] == [[6, 9]]  # 英伟达 in both paragraphs


@pytest.mark.parametrize("held_out,gone,kept", [("900", ["英伟达", "英偉達"], ["Intel", "苹果"]),
                                               ("901", ["苹果"], ["Intel", "英伟达", "英偉達"])])
def test_ablation_removes_held_out_names_for_that_fold_only(tmp_path, held_out, gone, kept):
    """A list entry that names a held-out mention (in either script) is gone for its fold only."""
    fold, listed = fold_lists(lists_config(tmp_path), PATTERNS, GOLD, ablate_lists=True)[held_out]
    assert surfaces(fold.gazetteer) == kept and not set(gone) & set(surfaces(fold.gazetteer))
    assert all(spans == [] for spans in listed.values())  # the held-out names are in no list now


def test_ablated_cross_validation_marks_its_predictions_and_writes_the_lists(tmp_path):
    cross_validate(DATA / "gold.jsonl", DATA / "paragraphs.jsonl", ROOT / "configs/experiments/char_latin.cfg",
                   tmp_path / "cv", tmp_path / "pred.jsonl", max_steps=2, ablate_lists=True,
                   ner_only_predictions=tmp_path / "ner.jsonl", lists_output=tmp_path / "lists.json")
    assert all(r["ablated"] for r in read_records(tmp_path / "pred.jsonl"))
    assert sorted(r["id"] for r in read_records(tmp_path / "ner.jsonl")) == ["900-p000", "900-p001", "901-p000"]
    lists = json.loads((tmp_path / "lists.json").read_text())
    assert lists["ablated"] is True and set(lists["in_list"]) == {"900-p000", "900-p001", "901-p000"}
