from conftest import DATA, ROOT, read_records

from chip_ner.evaluation.predict_baselines import (
    jieba_entities,
    non_overlapping,
    predict_baselines,
)
from chip_ner.records import fold_patterns, load_gold


def test_jieba_maps_person_and_money():
    text = "黄仁勋表示,英伟达将投资20亿美元。"
    spans = [(text[s:e], label) for s, e, label in jieba_entities(text)]
    assert ("黄仁勋", "PERSON") in spans and ("20亿美元", "MONEY") in spans


def test_non_overlapping_prefers_longer():
    assert non_overlapping([(0, 2, "PERSON"), (0, 5, "MONEY"), (6, 8, "COMPANY")]) == [(0, 5, "MONEY"), (6, 8, "COMPANY")]


def test_fold_patterns_drop_what_only_the_held_out_article_names():
    records = load_gold(DATA / "gold.jsonl", DATA / "paragraphs.jsonl")
    patterns = [{"label": "COMPANY", "pattern": p} for p in ("英伟达", "谷歌", "苹果", "台积电")]
    kept = [p["pattern"] for p in fold_patterns(patterns, records, "901")]
    assert kept == ["英伟达", "台积电"]  # 谷歌 and 苹果 are gold mentions of 901 only
    assert [p["pattern"] for p in fold_patterns(patterns, records, "900")] == ["谷歌", "苹果", "台积电"]


def test_predict_baselines_covers_every_paragraph(tmp_path):
    count = predict_baselines(DATA / "gold.jsonl", DATA / "paragraphs.jsonl", ROOT / "configs/patterns.jsonl",
                              tmp_path / "p.jsonl", tmp_path / "j.jsonl", curated_output=tmp_path / "c.jsonl")
    assert count == 3
    for name in ("p.jsonl", "j.jsonl", "c.jsonl"):
        assert [r["id"] for r in read_records(tmp_path / name)] == ["900-p000", "900-p001", "901-p000"]
    fold = {r["id"]: r["label"] for r in read_records(tmp_path / "p.jsonl")}
    curated = {r["id"]: r["label"] for r in read_records(tmp_path / "c.jsonl")}
    assert [0, 2, "COMPANY"] in curated["901-p000"] and [0, 2, "COMPANY"] not in fold["901-p000"]
