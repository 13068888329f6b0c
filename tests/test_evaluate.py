import spacy

from chip_ner.evaluation.compare_segmenters import markdown_table
from chip_ner.evaluation.evaluate import chars_per_second, model_size_mb, per_label


def test_per_label_fills_labels_never_seen():
    scores = {"ents_per_type": {"COMPANY": {"p": 0.9, "r": 0.8, "f": 0.847}}}
    result = per_label(scores)
    assert result["COMPANY"] == {"p": 0.9, "r": 0.8, "f": 0.847}
    assert result["MONEY"] == {"p": 0.0, "r": 0.0, "f": 0.0}


def test_chars_per_second_counts_repeated_text():
    nlp = spacy.blank("zh")
    assert chars_per_second(nlp, ["英伟达H100芯片"], min_chars=1000) > 0


def test_model_size(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 1_500_000)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_bytes(b"x" * 500_000)
    assert model_size_mb(tmp_path) == 2.0


def test_markdown_table():
    table = markdown_table([{"config": "char", "ents_f": 0.8, "ents_p": 0.85, "ents_r": 0.75, "misaligned_spans": 0,
                             "gold_spans": 655, "chars_per_second": 12345, "model_size_mb": 6.1, "train_seconds": 240}])
    assert "| `char` | 0.800 | 0.850 | 0.750 | 0 of 655 | 12,345 | 6.1 | 240 |" in table
