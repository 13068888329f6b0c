import json

import pytest
from typer.testing import CliRunner

from chip_ner.cli import app

from conftest import DATA, ROOT, read_records, write_records

runner = CliRunner()


def test_clean_prints_rule_counts(tmp_path):
    out = tmp_path / "paragraphs.jsonl"
    result = runner.invoke(app, ["clean", str(ROOT / "seeds"), str(out), "--boilerplate",
                                 str(ROOT / "configs/boilerplate.jsonl")])
    assert result.exit_code == 0, result.output
    assert "pinyin" in result.output and "duplicate" in result.output
    assert len(out.read_text(encoding="utf-8").splitlines()) > 100


def test_validate_prints_counts_per_label_and_article(small):
    stats = small / "stats.json"
    result = runner.invoke(app, ["validate", str(small / "gold.jsonl"), str(small / "paragraphs.jsonl"),
                                 "--stats", str(stats)])
    assert result.exit_code == 0, result.output
    assert "COMPANY" in result.output and "900" in result.output and "901" in result.output
    assert json.loads(stats.read_text())["per_label"] == {"COMPANY": 4, "CHIP": 3, "MONEY": 1, "PERSON": 1}


def test_validate_fails_nonzero_and_writes_nothing(small):
    records = read_records(small / "gold.jsonl")
    records[2]["label"].append([20, 200, "CHIP"])
    write_records(small / "gold.jsonl", records)
    stats = small / "stats.json"
    result = runner.invoke(app, ["validate", str(small / "gold.jsonl"), str(small / "paragraphs.jsonl"),
                                 "--stats", str(stats)])
    assert result.exit_code == 1
    assert "gold.jsonl:3 (offset 20)" in result.output and "out of range" in result.output
    assert not stats.exists()


def test_import_markup_refuses_changed_text(tmp_path):
    markup = tmp_path / "m.txt"
    markup.write_text("900-p001\t[[黄仁勋|PERSON]]说,英伟达将推出Blackwell。\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["import-markup", str(markup), str(DATA / "paragraphs.jsonl"), str(out),
                                 "--annotator", "T"])
    assert result.exit_code == 1 and "text differs" in result.output
    assert not out.exists()


@pytest.mark.parametrize("command", ["clean", "pre-annotate", "validate", "agreement", "export-markup",
                                     "import-markup", "convert", "evaluate", "compare-segmenters", "fetch-pkuseg",
                                     "doccano-start", "doccano-stop", "push", "pull"])
def test_every_command_has_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
