import pytest
from conftest import read_records, write_records

from chip_ner.corpus.agreement import agreement, classify


def test_identical_annotations_agree_fully(small):
    report = agreement(small / "gold.jsonl", small / "gold.jsonl", small / "paragraphs.jsonl")
    assert report.f1() == 1.0 and report.kappa == pytest.approx(1.0) and report.disagreements == []
    assert "by_source" not in report.to_dict()  # one source: no split


def test_disagreements_lower_f1_and_are_classified(small):
    records = read_records(small / "gold.jsonl")
    records[0]["label"] = [[0, 3, "COMPANY"], [3, 7, "COMPANY"]]  # H100 relabelled, money missed
    records[1]["label"] = [[0, 3, "PERSON"], [6, 9, "COMPANY"], [12, 21, "CHIP"], [10, 12, "COMPANY"]]
    write_records(small / "b.jsonl", records)
    report = agreement(small / "gold.jsonl", small / "b.jsonl", small / "paragraphs.jsonl")
    kinds = sorted(d.kind for d in report.disagreements)
    assert kinds == ["label", "only_a", "only_b"]
    # A has 9 spans, B has 9; 7 shared -> F1 = 14/18
    assert report.f1() == pytest.approx(14 / 18)
    assert report.f1("MONEY") == 0.0
    assert 0 < report.kappa < 1


def test_boundary_disagreement():
    text = "谷歌云TPU集群"
    result = classify("x", text, [(0, 3, "COMPANY"), (3, 6, "CHIP")], [(0, 2, "COMPANY"), (2, 6, "CHIP")])
    assert [d.kind for d in result] == ["boundary", "boundary"]
    assert result[0].describe() == "x boundary: A '谷歌云' COMPANY [0, 3) | B '谷歌' COMPANY [0, 2), '云TPU' CHIP [2, 6)"


def test_empty_annotator_file_fails_and_keeps_the_old_report(small):
    from typer.testing import CliRunner

    from chip_ner.cli import app

    (small / "b.jsonl").write_text("", encoding="utf-8")
    out = small / "agreement.json"
    out.write_text('{"span_f1": 0.9}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["agreement", str(small / "gold.jsonl"), str(small / "b.jsonl"),
                                      str(small / "paragraphs.jsonl"), "--output", str(out)])
    assert result.exit_code == 1
    assert "b.jsonl:1: the file is empty" in result.output and "1.000" not in result.output
    assert out.read_text(encoding="utf-8") == '{"span_f1": 0.9}\n'


def test_annotations_of_different_paragraphs_are_refused(small):
    from chip_ner.errors import ChipNerError

    records = read_records(small / "gold.jsonl")
    write_records(small / "a.jsonl", records[:1])
    write_records(small / "b.jsonl", records[1:])
    with pytest.raises(ChipNerError, match="No paragraph annotated by both") as err:
        agreement(small / "a.jsonl", small / "b.jsonl", small / "paragraphs.jsonl")
    assert "b.jsonl: no meta.id in common" in str(err.value)


def test_cli_writes_figures_and_disagreements_as_one_unit(tmp_path, monkeypatch):
    """If the second file cannot be moved into place, the first keeps its old content too."""
    import os

    from typer.testing import CliRunner

    from chip_ner.cli import app
    from conftest import DATA

    figures, lines = tmp_path / "agreement.json", tmp_path / "disagreements.txt"
    figures.write_text("old figures\n", encoding="utf-8")
    lines.write_text("old lines\n", encoding="utf-8")
    real_replace = os.replace

    def failing_replace(src, dst):
        if str(dst) == str(lines):
            raise OSError(28, "No space left on device", str(src))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    result = CliRunner().invoke(app, ["agreement", str(DATA / "gold.jsonl"), str(DATA / "gold.jsonl"),
                                      str(DATA / "paragraphs.jsonl"), "--output", str(figures),
                                      "--disagreements", str(lines)])
    assert result.exit_code != 0
    assert figures.read_text(encoding="utf-8") == "old figures\n" and lines.read_text(encoding="utf-8") == "old lines\n"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_seeds_and_written_articles_are_also_reported_apart(small):
    paragraphs = read_records(small / "paragraphs.jsonl")
    written_id = paragraphs[-1]["id"]
    paragraphs[-1].update(source="written", fictional=True, checked=[])
    write_records(small / "paragraphs.jsonl", paragraphs)
    records = read_records(small / "gold.jsonl")
    for record in records:
        if record["meta"]["id"] == written_id:
            record["label"] = record["label"][1:]  # B misses one span, in the written paragraph only
    write_records(small / "b.jsonl", records)
    report = agreement(small / "gold.jsonl", small / "b.jsonl", small / "paragraphs.jsonl")
    parts = report.to_dict()["by_source"]
    assert sorted(parts) == ["seeds", "written"]
    assert parts["seeds"]["span_f1"] == 1.0 and parts["written"]["span_f1"] < 1.0
    assert parts["seeds"]["paragraphs"] + parts["written"]["paragraphs"] == report.paragraphs
