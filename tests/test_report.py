import json

import pytest
from conftest import DATA, read_records, write_records

from chip_ner.errors import ChipNerError
from chip_ner.evaluation.report import END, START, cv_settings, report, results_markdown
from chip_ner.evaluation.score import score


@pytest.fixture
def metrics(tmp_path):
    model = tmp_path / "model.jsonl"
    write_records(model, [{"id": r["meta"]["id"], "fold": r["meta"]["article"], "label": r["label"]}
                          for r in read_records(DATA / "gold.jsonl")])
    score(DATA / "gold.jsonl", DATA / "paragraphs.jsonl", {"model": model}, "model", tmp_path / "m", n_bootstrap=20)
    speed = {"characters": 1000, "paragraphs": 3, "wheel": "w.whl", "wheel_size_mb": 6.1, "ratio_to_jieba": 0.5,
             "runs": {"zh_chip_ner (n_process=1)": {"chars_per_second": 100, "load_seconds": 0.5, "peak_rss_mb": 200,
                                                     "peak_rss_children_mb": 0},
                      "jieba.posseg": {"chars_per_second": 200, "load_seconds": 0.7, "peak_rss_mb": 150,
                                       "peak_rss_children_mb": 0}}}
    (tmp_path / "m" / "speed.json").write_text(json.dumps(speed))
    return tmp_path / "m"


def test_results_come_from_the_metrics_files(metrics):
    text = results_markdown(metrics)
    assert "| trained pipeline (`zh_chip_ner` config) | 1.000 | 1.000 | 1.000 (1.00–1.00)" in text
    assert "| zh_chip_ner (n_process=1) | 100 | 0.5 | 200 |" in text
    assert "Learning curve" not in text  # not measured, so not shown


def test_report_replaces_only_the_marked_section(metrics, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nintro\n\n{START}\nold numbers\n{END}\n\n## After\n", encoding="utf-8")
    report(metrics, readme, tmp_path / "report.md")
    text = readme.read_text(encoding="utf-8")
    assert "old numbers" not in text and text.startswith("# Title\n\nintro") and text.endswith("## After\n")
    assert "### Systems side by side" in text and (tmp_path / "report.md").exists()


def test_missing_markers_are_an_error(metrics, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n")
    with pytest.raises(ChipNerError, match="README.md: lacks the markers"):
        report(metrics, readme, tmp_path / "report.md")


def test_nothing_measured_says_how_to_measure(tmp_path):
    assert "spacy project run evaluate-all" in results_markdown(tmp_path)


def test_list_split_and_settings_come_from_the_files(metrics):
    """The in-a-list / in-none table appears with the lists' split; the machine and steps are the
    ones crossval.json recorded, not words in the code."""
    lists = metrics / "lists.json"
    lists.write_text(json.dumps({"in_list": {"900-p000": [[0, 3]], "900-p001": [], "901-p000": []}}))
    model = metrics.parent / "model.jsonl"
    score(DATA / "gold.jsonl", DATA / "paragraphs.jsonl", {"model": model}, "model", metrics, n_bootstrap=20, lists=lists)
    (metrics / "crossval.json").write_text(json.dumps({"config": "c", "max_steps": 7, "runs": 3, "minutes": 1.0,
                                                       "jobs": 2, "cpu_count": 5, "config_max_steps": 9000,
                                                       "config_patience": 300}))
    text = results_markdown(metrics)
    assert "| trained pipeline (`zh_chip_ner` config) | – / 1.00 (3) | 1.00 (1) / 1.00 (3) |" in text
    assert "for 7 steps (the packaged model up to 9,000, with early stopping after 300 steps" in text
    assert "(2 at a time on 5 cores)" in text and "2-core" not in text


@pytest.mark.parametrize("patience,expected", [
    (300, "for 7 steps (the packaged model up to 9,000, with early stopping after 300 steps without gain on dev)"),
    (0, "for 7 steps (the packaged model 9,000 steps, without early stopping)")])
def test_the_packaged_models_training_is_described_as_configured(patience, expected):
    cv = {"config": "c", "max_steps": 7, "runs": 3, "minutes": 1.0, "config_max_steps": 9000, "config_patience": patience}
    assert expected in cv_settings(cv)


def test_msra_benchmark_is_shown_when_measured(metrics):
    (metrics / "msra.json").write_text(json.dumps({"sentences": 2, "person_mentions": 3, "runs": [
        {"system": "zh_chip_ner", "p": 0.5, "r": 0.25, "f": 0.3333, "chars_per_second": 1234}]}))
    text = results_markdown(metrics)
    assert "(2 sentences of People's Daily news, 3 person names" in text
    assert "| zh_chip_ner | 0.500 | 0.250 | 0.333 | 1,234 |" in text


def test_length_and_span_rule_tables_come_from_their_files(metrics):
    rows = [{"characters": 1000 * m, "tokens": 900 * m, "entities": 10 * m,
             "seconds": {"tokenizer": 0.01 * m, "ner": 0.1 * m * (1.5 if m == 4 else 1)}} for m in (1, 2, 4, 8)]
    length = {"base_characters": 1000, "multiples": [1, 2, 4, 8], "max_ratio_at_4x": 5.0,
              "texts": {"news": {"rows": rows, "ratios": {"tokenizer": {"1x": 1.0, "2x": 2.0, "4x": 4.0, "8x": 8.0},
                                                          "ner": {"1x": 1.0, "2x": 2.0, "4x": 6.0, "8x": 8.0}}}},
              "one_doc": {"characters": 1_000_000, "tokens": 800_000, "seconds": 33.4, "peak_rss_mb": 891.5}}
    (metrics / "length.json").write_text(json.dumps(length))
    check = {"texts": 1765, "generated": 1600, "runs": {"as shipped": {"entities": 6328, "edge": 0, "overlap": 0, "offsets": 0},
                                                        "without chip_ner_span_rules": {"entities": 6553, "edge": 676,
                                                                                         "overlap": 0, "offsets": 0}}}
    (metrics / "span_rules.json").write_text(json.dumps(check))
    text = results_markdown(metrics)
    assert "| ner | 100.0 | 2.0 | 6.0 | 8.0 |" in text and "| tokenizer | 10.0 | 2.0 | 4.0 | 8.0 |" in text
    assert "1,000,000 characters (800,000 tokens): 33.4 s" in text and "peak RSS 892 MB" in text
    assert "| without chip_ner_span_rules | 6,553 | 676 | 0 | 0 |" in text and "165 corpus paragraphs" in text


def test_seed_and_written_scores_get_their_table(metrics):
    scores = json.loads((metrics / "scores.json").read_text())
    scores["systems"]["model"]["per_source"] = {
        "seeds": {"f": 0.94, "paragraphs": 165, "per_label_f": {"CHIP": 0.89, "COMPANY": 0.95, "MONEY": 1.0, "PERSON": 0.9}},
        "written": {"f": 0.78, "paragraphs": 320, "per_label_f": {"CHIP": 0.68, "COMPANY": 0.7, "MONEY": 0.99, "PERSON": 0.78}}}
    (metrics / "scores.json").write_text(json.dumps(scores))
    text = results_markdown(metrics)
    assert "| seeds (165 paragraphs) | written (320 paragraphs) |" in text
    assert "| 0.940 (0.89 / 0.95 / 1.00 / 0.90) | 0.780 (0.68 / 0.70 / 0.99 / 0.78) |" in text
