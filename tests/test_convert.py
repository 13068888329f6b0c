import pytest
import spacy
from conftest import ROOT, read_records, write_records
from spacy.tokens import DocBin

from chip_ner.corpus.convert import convert
from chip_ner.errors import ChipNerError
from chip_ner.records import split_ids

CONFIG = ROOT / "configs/experiments/char_latin.cfg"


def run(small, dev="901", **kwargs):
    return convert(small / "gold.jsonl", small / "paragraphs.jsonl", CONFIG, small / "train.spacy",
                   small / "dev.spacy", dev, **kwargs)


def docs(path):
    return list(DocBin().from_disk(path).get_docs(spacy.blank("zh").vocab))


def test_split_by_article(small):
    report = run(small)
    assert report.docs == {"train": 2, "dev": 1} and not report.misaligned
    train, dev = docs(small / "train.spacy"), docs(small / "dev.spacy")
    assert {d.user_data["id"][:3] for d in train} == {"900"} and {d.user_data["id"][:3] for d in dev} == {"901"}
    assert [(e.text, e.label_) for e in dev[0].ents] == [("苹果", "COMPANY"), ("谷歌", "COMPANY"), ("TPU", "CHIP")]
    assert [t.text for t in train[0]][:4] == ["英", "伟", "达", "H100"]


def test_misaligned_span_fails_and_is_named(small):
    records = read_records(small / "gold.jsonl")
    records[0]["label"] = [[0, 3, "COMPANY"], [3, 6, "CHIP"]]  # `H10` cuts the token `H100`
    write_records(small / "gold.jsonl", records)
    with pytest.raises(ChipNerError) as err:
        run(small)
    message = str(err.value)
    assert "1 gold spans do not align" in message
    assert "gold.jsonl:1 (offset 3)" in message and "CHIP span 'H10'" in message and "['H100']" in message
    assert not (small / "train.spacy").exists() and not (small / "dev.spacy").exists()


def test_allow_misaligned_keeps_the_exact_gold(small):
    records = read_records(small / "gold.jsonl")
    records[0]["label"] = [[0, 3, "COMPANY"], [3, 6, "CHIP"]]
    write_records(small / "gold.jsonl", records)
    report = run(small, allow_misaligned=True)
    assert len(report.misaligned) == 1
    first = next(d for d in docs(small / "train.spacy") if d.user_data["id"] == "900-p000")
    assert [(e.text, e.label_) for e in first.ents] == [("英伟达", "COMPANY"), ("H10", "CHIP")]


@pytest.mark.parametrize("dev", ["", "900,901", "999"])
def test_bad_split_is_refused(small, dev):
    with pytest.raises(ChipNerError, match="Invalid article split"):
        run(small, dev=dev)


def test_split_ids_parses_comma_lists():
    assert split_ids("001, 003") == ["001", "003"]
    assert split_ids(None) == [] and split_ids(" , ") == []


def test_failed_dev_write_keeps_the_old_pair_and_no_temporary(small, monkeypatch):
    """train and dev are one unit: a disk full while writing dev must not leave a new train."""
    import errno

    run(small)
    before = {name: (small / name).read_bytes() for name in ("train.spacy", "dev.spacy")}
    real_to_disk = DocBin.to_disk

    def to_disk(self, path, *args, **kwargs):
        if path.name.startswith(".dev.spacy."):
            path.write_bytes(b"partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_to_disk(self, path, *args, **kwargs)

    monkeypatch.setattr(DocBin, "to_disk", to_disk)
    records = read_records(small / "gold.jsonl")
    records[0]["label"] = records[0]["label"][:1]
    write_records(small / "gold.jsonl", records)
    with pytest.raises(ChipNerError, match="Cannot write") as err:
        run(small)
    assert "No space left on device" in str(err.value)
    assert {name: (small / name).read_bytes() for name in before} == before
    assert not [p.name for p in small.iterdir() if p.name.endswith(".tmp")]


def test_unwritable_output_folder_is_a_located_error(small, monkeypatch):
    """(Simulated: the tests may run as root, who can write anywhere.)"""
    import errno
    import tempfile

    def refuse(*args, dir=None, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", dir)

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(ChipNerError, match="Cannot write") as err:
        run(small)
    assert "train.spacy: cannot write: Permission denied" in str(err.value)
    assert not (small / "train.spacy").exists() and not (small / "dev.spacy").exists()
