"""The [initialize] readers (chip_ner/config_code/readers.py): bad data is a located error while
`spacy train` initialises, not a KeyError or a wrong NORM table."""
import pytest
from conftest import ROOT, write_records

from chip_ner.config_code.readers import read_patterns, read_t2s_table
from chip_ner.errors import ChipNerError


def test_the_project_lists_read_and_merge_first_wins(tmp_path):
    gazetteer = tmp_path / "gaz.jsonl"
    write_records(gazetteer, [{"label": "COMPANY", "pattern": "谷歌", "id": "google"},
                              {"label": "COMPANY", "pattern": "英伟达", "id": "nvidia"}])
    patterns = tmp_path / "patterns.jsonl"
    write_records(patterns, [{"label": "COMPANY", "pattern": "谷歌", "id": "alphabet"}])
    merged = read_patterns(str(patterns), str(gazetteer))
    assert [(e["pattern"], e["id"]) for e in merged] == [("谷歌", "alphabet"), ("英伟达", "nvidia")]


def test_a_wrong_typed_pattern_is_named_by_file_and_line(tmp_path):
    patterns = tmp_path / "patterns.jsonl"
    write_records(patterns, [{"label": "COMPANY", "pattern": "谷歌"}, {"label": "COMPANY"}])
    with pytest.raises(ChipNerError, match=r"patterns.jsonl:2: `pattern` must be"):
        read_patterns(str(patterns))


def test_the_committed_script_table_reads():
    table = read_t2s_table(str(ROOT / "configs/t2s_chars.json"))
    assert table["偉"] == "伟" and len(table) > 2000


@pytest.mark.parametrize("content,reason", [
    ('["偉"]', "not a JSON object"),
    ('{"lexeme_norm": ["偉"]}', "`lexeme_norm` must be an object, found array"),
    ('{"lexeme_norm": {"偉": 1}}', "'偉' -> 1 is not one character to one character"),
    ('{"lexeme_norm": {"偉": "伟大"}}', "'偉' -> '伟大' is not one character"),
])
def test_a_script_table_of_another_shape_is_refused(tmp_path, content, reason):
    path = tmp_path / "t2s.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ChipNerError) as err:
        read_t2s_table(str(path))
    assert reason in str(err.value) and "t2s.json" in str(err.value)
