import json

import pytest
from conftest import DATA, write_records

from chip_ner.errors import ChipNerError
from chip_ner.evaluation.score import (
    bootstrap,
    classify_errors,
    counts,
    learning_curve,
    prf,
    score,
    side_by_side_html,
)
from chip_ner.records import load_gold

GOLD = load_gold(DATA / "gold.jsonl", DATA / "paragraphs.jsonl")


def predictions(changes=None):
    preds = {r.id: {"id": r.id, "fold": r.article, "label": list(r.spans)} for r in GOLD}
    for pid, spans in (changes or {}).items():
        preds[pid]["label"] = spans
    return preds


def test_prf_counts_exact_spans_only():
    c = counts([([(0, 3, "COMPANY"), (3, 7, "CHIP")], [(0, 3, "COMPANY"), (3, 6, "CHIP")])])
    assert prf(c, ["COMPANY"]) == {"p": 1.0, "r": 1.0, "f": 1.0}
    assert prf(c, ["CHIP"]) == {"p": 0.0, "r": 0.0, "f": 0.0}
    assert prf(c, ["COMPANY", "CHIP"])["f"] == pytest.approx(0.5)


def test_bootstrap_interval_brackets_the_estimate():
    pairs = [([(0, 1, "CHIP")], [(0, 1, "CHIP")])] * 8 + [([(0, 1, "CHIP")], [])] * 2
    low, high = bootstrap(pairs, n=300)["micro"]["r"]
    assert low <= 0.8 <= high and low < high


def test_every_error_kind_is_classified():
    # 900-p000: 英伟达 COMPANY [0,3), H100 CHIP [3,7), 2.5万美元 MONEY [12,18)
    errors = classify_errors(GOLD, predictions({"900-p000": [(0, 3, "PERSON"), (3, 6, "CHIP"), (8, 10, "CHIP")]}))
    assert errors["per_label"]["COMPANY"]["wrong_label"] == 1
    assert errors["per_label"]["CHIP"]["wrong_boundary"] == 1
    assert errors["per_label"]["MONEY"]["missed"] == 1
    assert errors["per_label"]["CHIP"]["spurious"] == 1
    labels, matrix = errors["confusion"]["labels"], errors["confusion"]["matrix"]
    assert matrix[labels.index("COMPANY")][labels.index("PERSON")] == 1
    assert matrix[labels.index("MONEY")][labels.index("O")] == 1
    assert matrix[labels.index("O")][labels.index("CHIP")] == 1
    kinds = {e["kind"] for e in errors["top_errors"]}
    assert kinds == {"wrong_label", "wrong_boundary", "missed", "spurious"}
    assert any("[英伟达]" in e["context"] for e in errors["top_errors"])


def test_learning_curve_pools_per_fraction():
    curve = [{"id": r.id, "fraction": 0.5, "label": []} for r in GOLD] + \
            [{"id": r.id, "fraction": 1.0, "label": [list(s) for s in r.spans]} for r in GOLD]
    table = learning_curve(GOLD, curve)
    assert [(row["fraction"], row["f"]) for row in table] == [(0.5, 0.0), (1.0, 1.0)]


def test_side_by_side_page_shows_every_paragraph():
    page = side_by_side_html(GOLD, predictions({"901-p000": []}))
    assert page.count("<tr") == 3 and page.count('class="diff"') == 1 and "901-p000 predicted" in page


def test_score_writes_everything(tmp_path):
    model, rules = tmp_path / "model.jsonl", tmp_path / "rules.jsonl"
    write_records(model, list(predictions().values()))
    write_records(rules, list(predictions({"900-p001": []}).values()))
    curve = tmp_path / "curve.jsonl"
    write_records(curve, [{"id": r.id, "fraction": 1.0, "label": [list(s) for s in r.spans]} for r in GOLD])
    result = score(DATA / "gold.jsonl", DATA / "paragraphs.jsonl", {"model": model, "rules": rules}, "model",
                   tmp_path / "out", curve=curve, n_bootstrap=50)
    assert result["scores"]["model"]["micro"]["f"] == 1.0
    assert result["scores"]["rules"]["per_fold_f"]["900"] < 1.0 == result["scores"]["rules"]["per_fold_f"]["901"]
    for name in ("scores.json", "errors.json", "confusion.png", "compare.html", "learning_curve.json", "learning_curve.png"):
        assert (tmp_path / "out" / name).stat().st_size > 0
    assert json.loads((tmp_path / "out" / "scores.json").read_text())["main"] == "model"


def test_missing_prediction_is_an_error(tmp_path):
    preds = list(predictions().values())[:2]
    write_records(tmp_path / "p.jsonl", preds)
    with pytest.raises(ChipNerError, match="p.jsonl: 1 gold paragraphs have no prediction"):
        score(DATA / "gold.jsonl", DATA / "paragraphs.jsonl", {"model": tmp_path / "p.jsonl"}, "model", tmp_path / "o",
              n_bootstrap=10)


def test_recall_is_split_by_seen_and_unseen_names():
    from chip_ner.evaluation.score import seen_unseen_recall

    # The two articles share no mention text, so every mention is unseen; 901-p000 loses 谷歌 and TPU.
    result = seen_unseen_recall(GOLD, predictions({"901-p000": [(0, 2, "COMPANY")]}))
    assert result["unseen"]["COMPANY"] == {"recall": 0.75, "mentions": 4}
    assert result["seen"]["COMPANY"] == {"recall": None, "mentions": 0}
    assert result["unseen"]["CHIP"] == {"recall": 0.6667, "mentions": 3}


def test_recall_is_split_by_names_in_a_list_and_in_none_after_each_systems_ablation(tmp_path):
    """Plain systems are split by the plain folds' lists; a system whose rows say `ablated` by the
    ablated folds' lists (where the held-out names are in no list)."""
    plain, ablated = tmp_path / "lists.json", tmp_path / "lists_ablated.json"
    plain.write_text(json.dumps({"in_list": {"900-p000": [[0, 3]], "900-p001": [[6, 9]], "901-p000": []}}))
    ablated.write_text(json.dumps({"in_list": {pid: [] for pid in ("900-p000", "900-p001", "901-p000")}}))
    missed = predictions({"900-p001": [[0, 3, "PERSON"], [12, 21, "CHIP"]]})  # 英伟达 missed in 900-p001
    write_records(tmp_path / "model.jsonl", list(missed.values()))
    write_records(tmp_path / "ablated.jsonl", [{**row, "ablated": True} for row in missed.values()])
    result = score(DATA / "gold.jsonl", DATA / "paragraphs.jsonl",
                   {"model": tmp_path / "model.jsonl", "model_ablated": tmp_path / "ablated.jsonl"}, "model",
                   tmp_path / "out", n_bootstrap=10, lists=plain, ablated_lists=ablated)["scores"]
    assert result["model"]["recall_by_list"]["in_list"]["COMPANY"] == {"recall": 0.5, "mentions": 2}
    assert result["model"]["recall_by_list"]["no_list"]["COMPANY"] == {"recall": 1.0, "mentions": 2}
    assert result["model_ablated"]["recall_by_list"]["in_list"]["COMPANY"] == {"recall": None, "mentions": 0}
    assert result["model_ablated"]["recall_by_list"]["no_list"]["COMPANY"] == {"recall": 0.75, "mentions": 4}


def test_a_file_that_is_not_a_lists_file_is_named(tmp_path):
    write_records(tmp_path / "model.jsonl", list(predictions().values()))
    (tmp_path / "lists.json").write_text("[]")
    with pytest.raises(ChipNerError, match="lists.json: expected"):
        score(DATA / "gold.jsonl", DATA / "paragraphs.jsonl", {"model": tmp_path / "model.jsonl"}, "model",
              tmp_path / "out", n_bootstrap=10, lists=tmp_path / "lists.json")


def test_seed_and_written_paragraphs_are_also_scored_apart():
    from dataclasses import replace

    from chip_ner.evaluation.score import score_system

    records = [replace(r, meta={**r.meta, "source": "written"}) if r.article == "901" else r for r in GOLD]
    result = score_system(records, predictions({"901-p000": [(0, 2, "COMPANY")]}), 10)
    parts = result["per_source"]
    assert sorted(parts) == ["seeds", "written"] and parts["seeds"]["f"] == 1.0
    assert parts["written"]["paragraphs"] == 1 and parts["written"]["r"] == pytest.approx(1 / 3, abs=1e-4)
    assert "per_source" not in score_system(GOLD, predictions(), 10)  # one source: no split
