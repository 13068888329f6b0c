import sys
import zlib
from collections import Counter
from pathlib import Path

import pytest
import spacy
from conftest import ROOT, read_records, write_records
from spacy.tokens import DocBin, Span
from spacy.tokens.doc import DOCBIN_ALL_ATTRS

from chip_ner.corpus.convert import convert, record_to_doc, tokenizer_from_config, ConvertReport
from chip_ner.corpus.docbin_writer import NER_ATTRS, DocBinWriter
from chip_ner.records import load_gold
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
    real_write = DocBinWriter.write

    def write(self, path, *args, **kwargs):
        if Path(path).name.startswith(".dev.spacy."):
            Path(path).write_bytes(b"partial")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, path, *args, **kwargs)

    monkeypatch.setattr(DocBinWriter, "write", write)
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


def in_memory_docbin(small, gold="gold.jsonl", config=CONFIG):
    """What convert wrote before it streamed: every record's Doc in one DocBin of all attributes."""
    nlp = tokenizer_from_config(config)
    report = ConvertReport()
    return [record_to_doc(nlp, record, small / gold, False, report) for record in
            load_gold(small / gold, small / "paragraphs.jsonl")]


def same_docs(written, expected):
    """Docs read back from a .spacy file equal the in-memory ones in all DocBin attributes."""
    vocab = spacy.blank("zh").vocab
    old = list(DocBin(store_user_data=True, docs=expected).from_bytes(
        DocBin(store_user_data=True, docs=expected).to_bytes()).get_docs(vocab))
    assert len(written) == len(old)
    for new, ref in zip(written, old):
        assert new.text == ref.text and [t.text for t in new] == [t.text for t in ref]
        assert [t.whitespace_ for t in new] == [t.whitespace_ for t in ref]
        assert [t.norm_ for t in new] == [t.norm_ for t in ref]
        assert (new.to_array(list(DOCBIN_ALL_ATTRS)) == ref.to_array(list(DOCBIN_ALL_ATTRS))).all()
        assert [(e.start_char, e.end_char, e.label_, e.kb_id_) for e in new.ents] == \
               [(e.start_char, e.end_char, e.label_, e.kb_id_) for e in ref.ents]
        assert new.user_data == ref.user_data and new.cats == ref.cats


def test_streamed_output_equals_the_in_memory_docbin(small):
    """The same Docs, ents and ids as the whole-corpus DocBin convert used to build, split the same way."""
    run(small)
    expected = in_memory_docbin(small)
    by_part = {"train": [d for d in expected if not d.user_data["id"].startswith("901")],
               "dev": [d for d in expected if d.user_data["id"].startswith("901")]}
    for part, docs_expected in by_part.items():
        same_docs(docs(small / f"{part}.spacy"), docs_expected)


def test_streamed_output_equals_the_in_memory_docbin_on_a_generated_gold(tmp_path):
    """A larger generated gold (distinct names, many articles, the project's own tokenizer config)."""
    from chip_ner.evaluation.benchmark_corpus import write_corpus

    corpus = write_corpus(tmp_path, 300)
    config = ROOT / "configs/char_latin_cues.cfg"
    report = convert(corpus["paths"]["gold"], corpus["paths"]["paragraphs"], config, tmp_path / "train.spacy",
                     tmp_path / "dev.spacy", corpus["dev_articles"])
    dev = set(corpus["dev_articles"].split(","))
    expected = in_memory_docbin(tmp_path, config=config)
    assert report.docs == {"train": 260, "dev": 40}  # 15 articles, every tenth held out
    same_docs(docs(tmp_path / "train.spacy"), [d for d in expected if d.user_data["id"][:5] not in dev])
    same_docs(docs(tmp_path / "dev.spacy"), [d for d in expected if d.user_data["id"][:5] in dev])
    assert report.per_label["train"] == dict(Counter(e.label_ for d in expected for e in d.ents
                                                     if d.user_data["id"][:5] not in dev))


def test_spacy_corpus_reads_the_same_examples(small):
    """spacy.Corpus.v1 (what `spacy train` and `evaluate` read) gives the same examples from the
    streamed file as from the old whole DocBin of all attributes."""
    from spacy.training import Corpus

    run(small)
    old = small / "old.spacy"
    DocBin(store_user_data=True, docs=[d for d in in_memory_docbin(small) if d.user_data["id"][:3] == "900"]).to_disk(old)
    nlp = tokenizer_from_config(CONFIG)

    def examples(path):
        return [([t.text for t in eg.predicted], [t.norm_ for t in eg.predicted],
                 [(e.start_char, e.end_char, e.label_) for e in eg.reference.ents], eg.get_aligned_ner())
                for eg in Corpus(path)(nlp)]

    assert examples(small / "train.spacy") == examples(old) and len(examples(old)) == 2


@pytest.mark.parametrize("attrs", [NER_ATTRS, DOCBIN_ALL_ATTRS])
def test_writer_writes_what_docbin_writes(tmp_path, attrs):
    """Byte for byte before compression (the same msgpack message), with cats, span groups and
    user data, an empty Doc and a Doc with tags, lemmas and a KB id."""
    nlp = spacy.blank("zh")
    texts = ["英伟达H100芯片", "Ｈ１００ test  x", "", "谷歌TPU上 训练 Apple", "黄仁勋说"]
    written = []
    for i, text in enumerate(texts):
        doc = nlp.make_doc(text)
        if len(doc) > 2:
            doc.ents = [Span(doc, 0, 2, label="COMPANY", kb_id="nvidia")]
            doc.spans["sc"] = [Span(doc, 1, 3, label="X", span_id="y")]
            doc[0].tag_, doc[1].lemma_ = "NR", "伟"
        doc.cats = {"news": float(i % 2)}
        doc.user_data["id"] = f"p{i}"
        written.append(doc)
    expected = DocBin(attrs=attrs, store_user_data=True, docs=written).to_bytes()
    with DocBinWriter(attrs, folder=tmp_path) as writer:
        for doc in written:
            writer.add(doc)
        writer.write(tmp_path / "x.spacy")
    assert zlib.decompress((tmp_path / "x.spacy").read_bytes()) == zlib.decompress(expected)
    with DocBinWriter(attrs, folder=tmp_path) as writer:
        writer.write(tmp_path / "empty.spacy")
    assert zlib.decompress((tmp_path / "empty.spacy").read_bytes()) == \
           zlib.decompress(DocBin(attrs=attrs, store_user_data=True).to_bytes())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.spacy", "x.spacy"]  # the spools leave nothing


def test_bad_record_late_in_the_file_writes_nothing(small):
    """The first pass finds every bad record, located, before anything is written, and the old
    pair stays."""
    run(small)
    before = {name: (small / name).read_bytes() for name in ("train.spacy", "dev.spacy")}
    records = read_records(small / "gold.jsonl")
    records[2]["label"].append([3, 99, "CHIP"])
    records[1]["label"][0][2] = "PRODUCT"
    write_records(small / "gold.jsonl", records)
    with pytest.raises(ChipNerError, match="Gold annotations") as err:
        run(small)
    assert "gold.jsonl:2 (offset 0): 900-p001: unknown label 'PRODUCT'" in str(err.value)
    assert "gold.jsonl:3 (offset 3): 901-p000: span [3, 99] out of range" in str(err.value)
    assert {name: (small / name).read_bytes() for name in before} == before
    assert sorted(p.name for p in small.iterdir()) == ["dev.spacy", "gold.jsonl", "paragraphs.jsonl", "train.spacy"]


def test_unreadable_gold_line_is_located(small):
    with open(small / "gold.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"text": \n')
    with pytest.raises(ChipNerError, match="Cannot read") as err:
        run(small)
    assert "gold.jsonl:4 (offset 9): not valid JSON" in str(err.value)
    assert not (small / "train.spacy").exists()


def test_gold_changed_between_the_passes_writes_nothing(small, monkeypatch):
    """The converting pass checks again: a record broken after the first pass fails the step."""
    import chip_ner.corpus.convert as module

    real = module.check_gold

    def check_then_break(path, paragraphs, *args):
        result = real(path, paragraphs, *args)
        records = read_records(path)
        records[2]["label"][0][2] = "PRODUCT"
        write_records(path, records)
        return result

    monkeypatch.setattr(module, "check_gold", check_then_break)
    with pytest.raises(ChipNerError, match="Gold annotations"):
        run(small)
    assert sorted(p.name for p in small.iterdir()) == ["gold.jsonl", "paragraphs.jsonl"]


def test_non_utf8_gold_is_located(small):
    data = (small / "gold.jsonl").read_bytes()
    (small / "gold.jsonl").write_bytes(data + b'{"text": "\xff"}\n')
    with pytest.raises(ChipNerError, match="not UTF-8") as err:
        run(small)
    assert f"gold.jsonl:4: not UTF-8: byte 0xff at byte offset {len(data) + 10}" in str(err.value)


def test_full_disk_while_spooling_is_a_located_error_and_leaves_nothing(small, monkeypatch):
    import errno

    from chip_ner.corpus import docbin_writer

    calls = {"n": 0}
    real_write = docbin_writer.Spool.write

    def write(self, data):
        calls["n"] += 1
        if calls["n"] == 8:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, data)

    monkeypatch.setattr(docbin_writer.Spool, "write", write)
    with pytest.raises(ChipNerError, match="Cannot write") as err:
        run(small)
    assert "train.spacy: cannot write: No space left on device" in str(err.value)
    assert sorted(p.name for p in small.iterdir()) == ["gold.jsonl", "paragraphs.jsonl"]


def test_peak_memory_grows_by_a_small_multiple_of_the_gold(tmp_path):
    """convert's own peak RSS (a child process) on a 0.1 MB and a 3 MB generated gold: the
    difference is under 12x the difference in size (the whole-corpus DocBin took about 87x)."""
    from chip_ner.evaluation.benchmark_corpus import run_measured, write_corpus

    peaks = []
    for size in (100_000, 3_000_000):
        folder = tmp_path / str(size)
        corpus = write_corpus(folder, max_gold_bytes=size)
        command = [sys.executable, "-m", "chip_ner", "convert", str(corpus["paths"]["gold"]),
                   str(corpus["paths"]["paragraphs"]), str(ROOT / "configs/char_latin_cues.cfg"),
                   str(folder / "train.spacy"), str(folder / "dev.spacy"), "--dev-articles", corpus["dev_articles"]]
        code, peak_mb, _, output = run_measured(command, folder)
        assert code == 0, output
        peaks.append((corpus["paths"]["gold"].stat().st_size, peak_mb * 2**20))
    (small_size, small_peak), (large_size, large_peak) = peaks
    assert large_peak - small_peak < 12 * (large_size - small_size), peaks
