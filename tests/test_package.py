"""End to end: the project's convert/train/evaluate/package commands with a few training steps,
then the wheel installed into a fresh virtual environment and loaded by name."""
import json
import os
import shlex
import subprocess
import sys

import pytest
from conftest import copy_project
from weasel.util import load_project_config

from chip_ner.evaluation.check_spans import generated_texts

SKIPPED = {"pre-annotate", "agreement", "validate"}  # corpus checks, tested in test_project.py
TRAIN_OVERRIDES = ["--training.max_steps", "200", "--training.eval_frequency", "100"]
# the PERSON component and the main tok2vec on a few MSRA sentences only: enough to be sourced, packaged and loaded
PERSON_OVERRIDES = ["--training.max_steps", "20", "--training.eval_frequency", "20", "--corpora.train.limit", "500",
                    "--corpora.train.dev", "50"]
OVERRIDES = {"train": TRAIN_OVERRIDES, "train-person": PERSON_OVERRIDES, "train-msra-tok2vec": PERSON_OVERRIDES}
UNSEEN = "据路透社报道，英伟达将向台积电订购更多H200芯片，金额约为30亿美元，黄仁勋对此表示乐观，高级分析师王小明认为需求强劲。"


def run_command(project_dir, command, extra=()):
    for line in command["script"]:
        args = shlex.split(line)
        if args[0] == "python":
            args[0] = sys.executable
        result = subprocess.run(args + list(extra), cwd=project_dir, capture_output=True, text=True)
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    project_dir = tmp_path_factory.mktemp("project")
    copy_project(project_dir)
    config = load_project_config(project_dir)
    commands = {c["name"]: c for c in config["commands"]}
    for step in [s for s in config["workflows"]["all"] if s not in SKIPPED]:
        run_command(project_dir, commands[step], OVERRIDES.get(step, ()))
    return project_dir, config["vars"]


def test_metrics_have_every_label(project):
    project_dir, _ = project
    metrics = json.loads((project_dir / "training/metrics.json").read_text())
    assert set(metrics["per_label"]) == {"CHIP", "COMPANY", "MONEY", "PERSON"}
    assert 0.0 < metrics["ents_f"] <= 1.0 and metrics["chars_per_second"] > 0
    assert (project_dir / "training/displacy/entities.html").stat().st_size > 1000


def test_wheel_installs_and_loads_in_a_fresh_venv(project, tmp_path):
    project_dir, variables = project
    name, version = f"zh_{variables['package_name']}", variables["package_version"]
    wheel = project_dir / f"packages/{name}-{version}/dist/{name}-{version}-py3-none-any.whl"
    assert wheel.exists()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    script = (
        "import json, spacy\n"
        f"nlp = spacy.load({name!r})\n"
        f"doc = nlp({UNSEEN!r})\n"
        "print(json.dumps({'meta': nlp.meta, 'pipes': nlp.pipe_names, 'ents': [[e.start_char, e.end_char, e.label_, e.text] for e in doc.ents],\n"
        "                  'ids': {e.text: e.id_ for e in doc.ents}, 'money': [e._.money for e in doc.ents if e.label_ == 'MONEY'],\n"
        "                  'blis': sorted({n for n, p in nlp.components if hasattr(p, 'model') and\n"
        "                                  any(getattr(node.ops, 'use_blis', False) for node in p.model.walk())})}))\n"
    )
    result = subprocess.run([str(python), "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout.strip().splitlines()[-1])
    assert output["meta"]["name"] == variables["package_name"] and output["meta"]["version"] == version
    assert set(output["meta"]["labels"]["ner"]) == {"CHIP", "COMPANY", "MONEY", "PERSON"}
    # the MSRA PERSON component travels frozen after the main NER and the lists' names, between the components that
    # hold the entities aside and merge its people in (chip_ner/pipeline/lists.py); the meta names its corpus
    pipes = output["pipes"]
    assert pipes[pipes.index("chip_ner_merge_lists"):pipes.index("chip_ner_merge_people") + 2] == [
        "chip_ner_merge_lists", "chip_ner_hold_ents", "person_ner", "chip_ner_merge_people", "chip_ner_people_over_companies"]
    assert output["pipes"].index("chip_ner_merge_lists") == output["pipes"].index("ner") + 1
    assert any(source["name"].startswith("MSRA") for source in output["meta"]["sources"])
    assert output["blis"] == [], "chip_ner.openblas_ops.v1 (chip_ner/pipeline/ops.py) did not reach these components"
    assert output["ents"], "the packaged model found no entity"
    for start, end, label, text in output["ents"]:
        assert 0 <= start < end <= len(UNSEEN) and UNSEEN[start:end] == text
        assert label in {"CHIP", "COMPANY", "MONEY", "PERSON"}
    # the rules and canonical IDs travel inside the wheel
    assert output["ids"].get("英伟达") == "nvidia" and output["ids"].get("台积电") == "tsmc"
    assert [text for *_, label, text in output["ents"] if label == "PERSON" and text == "王小明"], "person cues missing"
    assert output["money"] == [{"value": 3e9, "min": 3e9, "max": 3e9, "values": [3e9], "currency": "USD", "approximate": False}]


def test_push_suggestions_from_the_installed_wheel_beside_the_project_code(project, tmp_path):
    """`push --source model --model zh_chip_ner` in an environment that has both the project and the
    wheel: the project's components are registered first, then the wheel's copies are imported by
    spacy.load (they once raised spaCy's E004 there)."""
    project_dir, variables = project
    name, version = f"zh_{variables['package_name']}", variables["package_version"]
    wheel = project_dir / f"packages/{name}-{version}/dist/{name}-{version}-py3-none-any.whl"
    site = tmp_path / "site"  # the wheel beside this environment's chip_ner and spaCy
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                              str(wheel)], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    script = (
        "import json\n"
        "import chip_ner.spacy_code  # the project's components first\n"
        "from chip_ner.annotation.push import model_suggestions\n"
        f"print(json.dumps(model_suggestions({name!r}, {{'p': {UNSEEN!r}}})['p']))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    spans = json.loads(result.stdout.strip().splitlines()[-1])
    assert [UNSEEN[s:e] for s, e, label in spans if label == "COMPANY"][:2] == ["路透社", "英伟达"]


def test_installed_wheel_keeps_the_span_rules_on_corpus_and_generated_text(project, tmp_path):
    """The few-step model proposes plenty of bad spans; the shipped pipeline must still hand out
    none that starts or ends with whitespace, punctuation or a format character, none that
    overlap, offsets that slice the text, and the same entities with 2 processes as with 1."""
    project_dir, variables = project
    name, version = f"zh_{variables['package_name']}", variables["package_version"]
    wheel = project_dir / f"packages/{name}-{version}/dist/{name}-{version}-py3-none-any.whl"
    site = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                              str(wheel)], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    paragraphs = [json.loads(line)["text"] for line in (project_dir / "corpus/paragraphs.jsonl").read_text(encoding="utf-8").splitlines()]
    texts = generated_texts(paragraphs)  # what `chip-ner check-spans` measures, here through the wheel alone
    assert len(texts) - len(paragraphs) >= 1500
    (tmp_path / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    script = (
        "import json, sys, unicodedata, spacy\n"
        "junk = lambda c: c.isspace() or unicodedata.category(c)[0] == 'P' or unicodedata.category(c) in ('Cf', 'Cc')\n"
        "texts = json.load(open('texts.json', encoding='utf-8'))\n"
        f"nlp = spacy.load({name!r})\n"
        "rows = lambda docs: [[(e.start_char, e.end_char, e.label_, e.id_, repr(e._.money)) for e in d.ents] for d in docs]\n"
        "one = rows(nlp.pipe(texts, batch_size=64))\n"
        "two = rows(nlp.pipe(texts, batch_size=64, n_process=2))\n"
        "bad = [(t[s:e], l) for t, ents in zip(texts, one) for s, e, l, *_ in ents if junk(t[s]) or junk(t[e - 1])]\n"
        "overlaps = sum(a[1] > b[0] for ents in one for a, b in zip(ents, ents[1:]))\n"
        "print(json.dumps({'entities': sum(map(len, one)), 'bad': bad[:20], 'n_bad': len(bad), 'overlaps': overlaps,\n"
        "                  'same_with_2_processes': one == two}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["entities"] > 1000
    assert report["n_bad"] == 0, report["bad"]
    assert report["overlaps"] == 0 and report["same_with_2_processes"]
