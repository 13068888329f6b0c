from conftest import DATA, ROOT, read_records

from chip_ner.evaluation.cross_validate import article_folds, cross_validate, subsample
from chip_ner.records import load_gold

GOLD = load_gold(DATA / "gold.jsonl", DATA / "paragraphs.jsonl")


def test_one_fold_per_article_and_no_article_on_both_sides():
    folds = article_folds(GOLD)
    assert [held for held, _, _ in folds] == ["900", "901"]
    for held, train, test in folds:
        assert {r.article for r in test} == {held} and held not in {r.article for r in train}


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
