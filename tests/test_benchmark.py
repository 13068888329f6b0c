import spacy
from conftest import DATA

from chip_ner.evaluation.benchmark import corpus_texts, measure


def test_corpus_is_repeated_to_the_requested_length():
    texts = corpus_texts(DATA / "paragraphs.jsonl", 500)
    assert sum(len(t) for t in texts) >= 500 and len(texts) % 3 == 0


def test_measure_a_spacy_pipeline_and_jieba(tmp_path):
    nlp = spacy.blank("zh")
    nlp.to_disk(tmp_path / "pipeline")
    text_file = tmp_path / "texts.txt"
    text_file.write_text("\n".join(corpus_texts(DATA / "paragraphs.jsonl", 2000)), encoding="utf-8")
    for engine in (str(tmp_path / "pipeline"), "jieba"):
        run = measure(engine, text_file)
        assert run["chars_per_second"] > 0 and run["peak_rss_mb"] > 10 and run["load_seconds"] >= 0
