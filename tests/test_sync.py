"""The sync state push journals and pull merges against (chip_ner/annotation/sync.py)."""
import json

import pytest
from conftest import read_records

from chip_ner.annotation.sync import SyncState, base_record, describes, load_base, synced_spans
from chip_ner.errors import ChipNerError

URL = "http://127.0.0.1:8000/"


def record(pid="a-p000", example=7, state="synced", spans=((0, 2, "COMPANY"),)):
    return base_record(pid, "苹果公司", list(spans), "proj", server=URL, example=example, state=state)


def test_the_journal_keeps_the_last_record_of_a_paragraph_and_compacts_to_one(tmp_path):
    path = tmp_path / "base.jsonl"
    state = SyncState(path)
    state.record(record(example=None, state="pending"))
    state.record(record())
    assert [r["state"] for r in read_records(path)] == ["pending", "synced"]  # on disk before compacting
    state.compact()
    assert read_records(path) == [record()] and load_base(path) == {"a-p000": record()}


def test_a_torn_last_line_is_ignored_with_a_warning(tmp_path, capsys):
    path = tmp_path / "base.jsonl"
    path.write_text(json.dumps(record()) + "\n" + json.dumps(record("a-p001"))[:20], encoding="utf-8")
    assert list(load_base(path)) == ["a-p000"]
    assert "unfinished last line" in capsys.readouterr().out


@pytest.mark.parametrize("line,reason", [
    ('{"label": []}', "needs a string `id`"),
    ('{"id": "a-p000", "label": 3}', "needs a list `label`"),
    ('{"id": "a-p000", "label": [], "state": "done"}', "unknown state 'done'"),
    ('{"id": "a-p000", "label": [}', "not valid JSON"),
])
def test_a_bad_record_in_the_middle_is_a_located_error(tmp_path, line, reason):
    path = tmp_path / "base.jsonl"
    path.write_text(json.dumps(record()) + "\n" + line + "\n" + json.dumps(record("a-p002")) + "\n", encoding="utf-8")
    with pytest.raises(ChipNerError) as err:
        load_base(path)
    assert "base.jsonl:2" in str(err.value) and reason in str(err.value)


@pytest.mark.parametrize("server,project,example,expected", [
    (URL, "proj", 7, True),
    ("http://127.0.0.1:8000", "proj", 7, True),  # the same server, written without the slash
    ("http://127.0.0.1:9000/", "proj", 7, False),  # another server
    (URL, "other", 7, False),
    (URL, "proj", 8, False),  # the example was deleted and pushed again
])
def test_a_record_describes_only_its_own_example(server, project, example, expected):
    assert describes(record(), server, project, example) is expected
    assert (synced_spans(record(), server, project, example) is not None) is expected


def test_a_pending_record_is_no_base_to_merge_against():
    assert synced_spans(record(state="pending"), URL, "proj", 7) is None
    assert describes(record(example=None, state="pending"), URL, "proj", 7)  # written before doccano gave the id
    assert synced_spans(record(example=None, state="pending"), URL, "proj", 7) is None
    assert synced_spans(None, URL, "proj", 7) is None


def test_records_of_older_versions_match_on_the_project():
    old = {"id": "a-p000", "text": "苹果公司", "label": [[0, 2, "COMPANY"]], "project": "proj"}
    assert synced_spans(old, URL, "proj", 7) == [(0, 2, "COMPANY")]
