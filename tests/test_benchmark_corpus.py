"""benchmark-corpus on a small corpus: the generator's names, a valid gold, the JSON it writes."""
import json

import pytest
from conftest import ROOT

from chip_ner.corpus.validate import validate
from chip_ner.errors import ChipNerError
from chip_ner.evaluation import benchmark_corpus as bench
from chip_ner.records import load_gold

CONFIG = ROOT / "configs/char_latin_cues.cfg"


def test_name_characters_occur_nowhere_else():
    """No surname is a given-name character and neither occurs in a sentence, company or currency,
    so a generated name is found only where it was put."""
    assert not set(bench.SURNAMES) & set(bench.GIVEN)
    assert not (set(bench.SURNAMES) | set(bench.GIVEN)) & bench._USED
    assert bench.name_capacity() > 5 * 50_000  # the default validate corpus repeats no name


def test_names_are_distinct_until_the_supply_runs_out():
    names = bench.names(bench.SEED)
    first = [next(names) for _ in range(bench.name_capacity())]
    assert len(set(first)) == len(first) and all(len(n) == 3 for n in first[:1000])
    assert [next(bench.names(bench.SEED)) for _ in range(3)] == [next(bench.names(bench.SEED))] * 3  # deterministic


def test_generated_gold_is_valid_and_every_person_and_chip_is_new(tmp_path):
    corpus = bench.write_corpus(tmp_path, 400)
    records = load_gold(corpus["paths"]["gold"], corpus["paths"]["paragraphs"])
    assert len(records) == corpus["paragraphs"] == 400 and corpus["articles"] == 20
    surfaces = {}
    for record in records:
        for start, end, label in record.spans:
            surfaces.setdefault(label, []).append(record.text[start:end])
    for label in ("PERSON", "CHIP"):
        assert len(surfaces[label]) == len(set(surfaces[label])) == 400 * 5
    report = validate(corpus["paths"]["gold"], corpus["paths"]["paragraphs"])
    assert report.records == 400 and not report.unexplained
    assert (tmp_path / "gold.jsonl").read_text(encoding="utf-8") == \
           (bench.write_corpus(tmp_path / "again", 400)["paths"]["gold"]).read_text(encoding="utf-8")


def test_gold_of_a_given_size(tmp_path):
    corpus = bench.write_corpus(tmp_path, max_gold_bytes=100_000)
    size = corpus["paths"]["gold"].stat().st_size
    assert 100_000 <= size < 100_000 + 2_000 and corpus["dev_articles"].split(",")[0] == "00000"


def test_benchmark_writes_both_figures(tmp_path):
    output = tmp_path / "benchmark_corpus.json"
    result = bench.benchmark_corpus(output, CONFIG, validate_paragraphs=200, convert_mb=0.2, workdir=tmp_path)
    assert json.loads(output.read_text(encoding="utf-8")) == result
    v, c = result["validate"], result["convert"]
    assert v["paragraphs"] == v["records"] == 200 and v["unexplained_entries"] == 0 and v["seconds"] > 0
    assert v["distinct_labelled_strings"] >= 2 * 200 * 5 and len(v["load_average_before"]) == 3
    assert c["gold_mb"] >= 0.2 and c["train_mb"] > 0 and c["dev_mb"] > 0
    assert 50 < c["peak_rss_mb"] < 2000 and c["peak_over_gold_size"] > 1  # convert's own, spaCy loaded
    assert [p.name for p in tmp_path.iterdir()] == ["benchmark_corpus.json"]  # the generated files are gone


def test_unusable_config_fails_before_any_work(tmp_path):
    config = tmp_path / "x.cfg"
    config.write_text("[nlp]\nlang = \"zh\"\n[nlp.tokenizer]\n@tokenizers = \"no.such.v1\"\n", encoding="utf-8")
    with pytest.raises(ChipNerError, match="Cannot build the tokenizer"):
        bench.benchmark_corpus(tmp_path / "out.json", config, validate_paragraphs=10, workdir=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["x.cfg"]
