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
