"""chip_ner_tok2vec and chip_ner_ner: spaCy's tok2vec and NER run in pieces of a long Doc give
the vectors and entities of the whole Doc (the pieces bound time and memory, tested by
`spacy project run benchmark-length`)."""
import json
from pathlib import Path

import numpy
import pytest
import spacy
from spacy.pipeline.ner import EntityRecognizer
from spacy.pipeline.tok2vec import Tok2Vec
from spacy.training import Example

import chip_ner.spacy_code  # noqa: F401
from chip_ner.pipeline.tok2vec import receptive_field

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def nlp():
    """tokenizer + chip_ner_tok2vec + chip_ner_ner (listening to it), trained for a few steps on
    the tiny gold so that the NER predicts entities at all."""
    spacy.util.fix_random_seed(0)
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "chip_ner.CharLatinTokenizer.v1"}}})
    nlp.add_pipe("chip_ner_tok2vec", name="tok2vec", config={"max_tokens": 60})
    nlp.add_pipe("chip_ner_ner", name="ner", config={
        "max_tokens": 60, "context": 8,
        "model": {"@architectures": "spacy.TransitionBasedParser.v2", "state_type": "ner", "extra_state_tokens": False,
                  "hidden_width": 32, "maxout_pieces": 2, "use_upper": True, "nO": None,
                  "tok2vec": {"@architectures": "spacy.Tok2VecListener.v1", "width": 96, "upstream": "*"}}})
    records = [json.loads(line) for line in (DATA / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    examples = [Example.from_dict(nlp.make_doc(r["text"]), {"entities": [tuple(s) for s in r["label"]]}) for r in records]
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(60):
        nlp.update(examples, sgd=optimizer)
    return nlp


def long_text(copies=12):
    records = [json.loads(line) for line in (DATA / "gold.jsonl").read_text(encoding="utf-8").splitlines()]
    return "\n".join(r["text"] for r in records) * copies


def test_receptive_field_is_the_sum_of_the_windows(nlp):
    assert receptive_field(nlp.get_pipe("tok2vec").model) == 4  # depth 4 x window 1


def test_tok2vec_pieces_give_the_whole_docs_vectors(nlp):
    tok2vec = nlp.get_pipe("tok2vec")
    docs = [nlp.make_doc(long_text()), nlp.make_doc(""), nlp.make_doc("英伟达H100"), nlp.make_doc(long_text(3))]
    assert len(docs[0]) > 4 * tok2vec.max_tokens
    whole = Tok2Vec.predict(tok2vec, docs)
    pieces = tok2vec.predict(docs)
    assert [p.shape for p in pieces] == [w.shape for w in whole]
    assert all(numpy.array_equal(p, w) for p, w in zip(pieces, whole))


@pytest.mark.parametrize("names,reach", [
    (["extract_features", "expand_window", "expand_window"], 2),
    (["extract_features", "expand_window", "lstm"], None),
    (["extract_features", "static_vectors", "expand_window"], None),
    (["charembed", "expand_window"], None),
    (["embed", "expand_window"], None),  # features read some other way
    (["lexicon_features", "expand_window", "expand_window"], 2 + 6),  # dictionary words: 6 tokens more
])
def test_only_window_encoders_over_to_array_features_run_in_pieces(names, reach):
    from thinc.api import Model, chain

    attrs = {"expand_window": {"window_size": 1}, "lexicon_features": {"reach": 6}}
    layers = [Model(name, lambda model, X, is_train: (X, lambda dY: dY), attrs=attrs.get(name, {})) for name in names]
    assert receptive_field(chain(*layers)) == reach


@pytest.mark.parametrize("copies", [6, 12, 30])
def test_ner_pieces_give_the_whole_docs_entities(nlp, copies):
    text = long_text(copies)
    pieces = nlp(text)
    assert len(pieces) > nlp.get_pipe("ner").max_tokens
    whole = nlp.make_doc(text)
    nlp.get_pipe("tok2vec")(whole)
    EntityRecognizer.__call__(nlp.get_pipe("ner"), whole)
    assert whole.ents, "the tiny model should find something"
    # Exact only for entities shorter than the overlap (64 tokens in the shipped config)
    assert max(len(e) for e in whole.ents) < nlp.get_pipe("ner").context
    assert [(e.start, e.end, e.label_) for e in pieces.ents] == [(e.start, e.end, e.label_) for e in whole.ents]


def test_ner_keeps_entities_set_before_it_across_pieces(nlp):
    text = long_text(12)
    doc = nlp.make_doc(text)
    nlp.get_pipe("tok2vec")(doc)
    start = text.index("黄仁勋", 700)
    doc.ents = [doc.char_span(start, start + 3, label="PERSON", span_id="jensen-huang")]
    nlp.get_pipe("ner")(doc)
    assert [(e.text, e.label_, e.id_) for e in doc.ents if e.start_char == start] == [("黄仁勋", "PERSON", "jensen-huang")]


def test_pipe_and_call_agree(nlp):
    texts = [long_text(12), "英伟达H100芯片", long_text(2)]
    assert [[(e.start, e.end, e.label_) for e in doc.ents] for doc in nlp.pipe(texts, batch_size=2)] == \
        [[(e.start, e.end, e.label_) for e in nlp(t).ents] for t in texts]


@pytest.mark.parametrize("lengths,groups", [
    ([], []),
    ([10, 20, 30], [[10, 20, 30]]),
    ([40, 30, 5], [[40], [30, 5]]),  # 40 + 30 > 60 tokens
    ([60, 1], [[60], [1]]),
    ([25, 25, 10, 59], [[25, 25, 10], [59]]),
])
def test_short_docs_run_in_groups_of_at_most_max_tokens(nlp, lengths, groups):
    ner = nlp.get_pipe("ner")
    docs = [nlp.make_doc("芯" * n) for n in lengths]
    assert [[len(doc) for doc in group] for group in ner.token_groups(docs)] == groups


def test_pipe_in_token_groups_gives_the_entities_of_one_doc_at_a_time(nlp):
    """Many short Docs, grouped by tokens: the entities each Doc gets alone."""
    texts = [r for r in long_text(1).split("\n") if r] * 3
    assert sum(len(nlp.make_doc(t)) for t in texts) > 2 * nlp.get_pipe("ner").max_tokens
    assert [[(e.start, e.end, e.label_) for e in doc.ents] for doc in nlp.pipe(texts, batch_size=50)] == \
        [[(e.start, e.end, e.label_) for e in nlp(t).ents] for t in texts]
