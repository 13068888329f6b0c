"""chip_ner.openblas_ops.v1 (chip_ner/pipeline/ops.py): the pipeline's models multiply on numpy's
BLAS, with the same results as on blis up to float rounding, and nothing outside the pipeline
changes."""
import pytest
import spacy
from thinc.api import Config, NumpyOps, Ops, get_current_ops

import chip_ner.spacy_code  # noqa: F401
from chip_ner.pipeline.ops import use_numpy_blas

TEXTS = ["英伟达H100芯片由台积电代工。", "寒武纪发布思元590,融资20亿元。", ""]


def pipeline(callback: bool) -> spacy.Language:
    """tok2vec + NER built from a config, as `spacy train` and `spacy.load` build the shipped one."""
    nlp_config = {"lang": "zh", "pipeline": ["tok2vec", "ner"],
                  "tokenizer": {"@tokenizers": "chip_ner.CharLatinTokenizer.v1"}}
    initialize = {}
    if callback:  # after creation (what `spacy.load` runs) and after initialize (which adds the NER's output layer)
        nlp_config["after_pipeline_creation"] = {"@callbacks": "chip_ner.openblas_ops.v1"}
        initialize["after_init"] = {"@callbacks": "chip_ner.openblas_ops.v1"}
    config = Config({"nlp": nlp_config, "initialize": initialize,
                     "components": {"tok2vec": {"factory": "chip_ner_tok2vec"}, "ner": {"factory": "chip_ner_ner"}}})
    spacy.util.fix_random_seed(0)
    nlp = spacy.util.load_model_from_config(config, auto_fill=True)
    nlp.get_pipe("ner").add_label("COMPANY")
    nlp.initialize()
    return nlp


def ops_of(nlp: spacy.Language) -> set:
    return {(type(node.ops).__name__, getattr(node.ops, "use_blis", None))
            for _, proc in nlp.components for node in proc.model.walk()}


def test_config_callback_moves_every_layer_to_numpy_blas():
    assert ops_of(pipeline(callback=False)) == {("NumpyOps", True)}
    assert ops_of(pipeline(callback=True)) == {("NumpyOps", False)}


def test_loaded_pipeline_is_on_numpy_blas(tmp_path):
    pipeline(callback=True).to_disk(tmp_path / "nlp")
    assert ops_of(spacy.load(tmp_path / "nlp")) == {("NumpyOps", False)}


def test_global_ops_are_left_alone():
    before = get_current_ops()
    pipeline(callback=True)
    assert get_current_ops() is before


def test_same_vectors_as_blis_up_to_rounding():
    with_blis, with_numpy = pipeline(callback=False), pipeline(callback=True)
    for a, b in zip(with_blis.get_pipe("tok2vec").predict([with_blis.make_doc(t) for t in TEXTS]),
                    with_numpy.get_pipe("tok2vec").predict([with_numpy.make_doc(t) for t in TEXTS])):
        assert a.shape == b.shape
        assert a.size == 0 or abs(a - b).max() < 1e-4


@pytest.mark.parametrize("ops", [Ops(), NumpyOps(use_blis=False)], ids=["other ops", "numpy already"])
def test_models_on_other_ops_are_not_touched(ops):
    nlp = pipeline(callback=False)
    for node in nlp.get_pipe("ner").model.walk():
        node.ops = ops
    assert use_numpy_blas(nlp) is nlp
    assert all(node.ops is ops for node in nlp.get_pipe("ner").model.walk())
    assert all(not node.ops.use_blis for node in nlp.get_pipe("tok2vec").model.walk())


def test_pipeline_without_models_is_fine():
    nlp = spacy.blank("zh")
    nlp.add_pipe("sentencizer")
    assert use_numpy_blas(nlp) is nlp
