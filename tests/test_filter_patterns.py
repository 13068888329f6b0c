import pytest
from conftest import DATA, read_records, write_records

from chip_ner.corpus.filter_patterns import filter_patterns
from chip_ner.errors import ChipNerError


def test_patterns_only_the_dev_article_names_are_removed(tmp_path):
    patterns = tmp_path / "patterns.jsonl"
    write_records(patterns, [{"label": "COMPANY", "pattern": p, "id": i} for p, i in
                             (("英伟达", "nvidia"), ("谷歌", "google"), ("台积电", "tsmc"))])
    kept, removed = filter_patterns(DATA / "gold.jsonl", DATA / "paragraphs.jsonl", patterns, tmp_path / "out.jsonl", "901")
    assert (kept, removed) == (2, 1)
    assert [r["pattern"] for r in read_records(tmp_path / "out.jsonl")] == ["英伟达", "台积电"]


def test_several_dev_articles(tmp_path):
    patterns = tmp_path / "patterns.jsonl"
    write_records(patterns, [{"label": "COMPANY", "pattern": "英伟达"}, {"label": "COMPANY", "pattern": "谷歌"}])
    kept, removed = filter_patterns(DATA / "gold.jsonl", DATA / "paragraphs.jsonl", patterns, tmp_path / "o.jsonl", "900,901")
    assert (kept, removed) == (0, 2)


@pytest.mark.parametrize("entry,reason", [
    ({"label": ["COMPANY"], "pattern": "谷歌"}, "unknown label ['COMPANY']"),
    ({"label": "COMPANY", "pattern": 5}, "`pattern` must be a non-empty string or token-pattern list"),
    ({"label": "COMPANY", "pattern": [1, 2]}, "invalid token pattern: [pattern -> 0]"),
    ({"label": "COMPANY", "pattern": [{"LOWER": {"IN": 5}}]}, "invalid token pattern: [pattern -> 0 -> LOWER"),
    ({"label": "COMPANY", "pattern": "谷歌", "id": ["google"]}, "`id` must be a string, found array"),
])
def test_a_wrong_typed_pattern_is_a_located_error_and_nothing_is_written(tmp_path, entry, reason):
    patterns = tmp_path / "patterns.jsonl"
    write_records(patterns, [{"label": "COMPANY", "pattern": "英伟达"}, entry])
    with pytest.raises(ChipNerError) as err:
        filter_patterns(DATA / "gold.jsonl", DATA / "paragraphs.jsonl", patterns, tmp_path / "out.jsonl", "901")
    assert "patterns.jsonl:2: " + reason in str(err.value)
    assert not (tmp_path / "out.jsonl").exists()
