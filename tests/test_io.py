import pytest

from chip_ner.errors import ChipNerError
from chip_ner.io import read_jsonl, write_jsonl


@pytest.mark.parametrize("content,line,reason", [
    ('{"a": 1}\n{"a": \n', 2, "not valid JSON"),
    ('{"a": 1}\n[1, 2]\n', 2, "expected a JSON object"),
    ('{"a": 1}\n\n{"a": 2}\n', 2, "not valid JSON"),
])
def test_bad_lines_are_named(tmp_path, content, line, reason):
    path = tmp_path / "x.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ChipNerError) as err:
        read_jsonl(path)
    assert f"x.jsonl:{line}" in str(err.value) and reason in str(err.value)


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "out.jsonl"
    write_jsonl(path, [{"a": 1}])

    def records():
        yield {"a": 2}
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_jsonl(path, records())
    assert path.read_text(encoding="utf-8") == '{"a": 1}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_file_sha256_matches_hashlib(tmp_path):
    import hashlib

    from chip_ner.io import file_sha256

    path = tmp_path / "blob"
    path.write_bytes(b"x" * (3 << 20))  # several read blocks
    assert file_sha256(path) == hashlib.sha256(b"x" * (3 << 20)).hexdigest()


def test_deeply_nested_json_is_a_located_error(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n{"a": ' + "[" * 100_000 + "]" * 100_000 + "}\n", encoding="utf-8")
    with pytest.raises(ChipNerError) as err:
        read_jsonl(path)
    assert "x.jsonl:2: JSON nested too deeply" in str(err.value)


@pytest.mark.parametrize("escape,offset", [("\\ud800", 10), ("\\uDFFF", 10), ("\\ud83d\\ude00\\udc00", 22)])
def test_lone_surrogate_is_located(tmp_path, escape, offset):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "' + escape + '"}\n', encoding="utf-8")
    with pytest.raises(ChipNerError) as err:
        read_jsonl(path)
    assert f"x.jsonl:1 (offset {offset}): lone surrogate" in str(err.value)


def test_surrogate_pair_is_a_character(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"text": "\\ud83d\\ude00"}\n', encoding="utf-8")
    assert read_jsonl(path) == [(1, {"text": "😀"})]


def test_full_disk_is_a_located_error_and_leaves_no_temporary(tmp_path, monkeypatch):
    import errno
    from pathlib import Path

    path = tmp_path / "out.jsonl"
    write_jsonl(path, [{"a": 1}])

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(ChipNerError) as err:
        write_jsonl(path, [{"a": 2}])
    assert "out.jsonl: cannot write: No space left on device" in str(err.value)
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_missing_input_read_inside_a_write_stays_an_oserror(tmp_path):
    """Only failures of the output become write errors; a missing input keeps its own error."""
    from chip_ner.io import atomic_paths

    with pytest.raises(FileNotFoundError):
        with atomic_paths(tmp_path / "a", tmp_path / "b"):
            (tmp_path / "missing").read_text()
    assert list(tmp_path.iterdir()) == []
