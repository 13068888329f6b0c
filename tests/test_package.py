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

SKIPPED = {"pre-annotate", "agreement", "validate"}  # corpus checks, tested in test_project.py
TRAIN_OVERRIDES = ["--training.max_steps", "200", "--training.eval_frequency", "100"]
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
        run_command(project_dir, commands[step], TRAIN_OVERRIDES if step == "train" else ())
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
        "print(json.dumps({'meta': nlp.meta, 'ents': [[e.start_char, e.end_char, e.label_, e.text] for e in doc.ents],\n"
        "                  'ids': {e.text: e.id_ for e in doc.ents}, 'money': [e._.money for e in doc.ents if e.label_ == 'MONEY']}))\n"
    )
    result = subprocess.run([str(python), "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout.strip().splitlines()[-1])
    assert output["meta"]["name"] == variables["package_name"] and output["meta"]["version"] == version
    assert set(output["meta"]["labels"]["ner"]) == {"CHIP", "COMPANY", "MONEY", "PERSON"}
    assert output["ents"], "the packaged model found no entity"
    for start, end, label, text in output["ents"]:
        assert 0 <= start < end <= len(UNSEEN) and UNSEEN[start:end] == text
        assert label in {"CHIP", "COMPANY", "MONEY", "PERSON"}
    # the rules and canonical IDs travel inside the wheel
    assert output["ids"].get("英伟达") == "nvidia" and output["ids"].get("台积电") == "tsmc"
    assert [text for *_, label, text in output["ents"] if label == "PERSON" and text == "王小明"], "person cues missing"
    assert output["money"] == [{"value": 3e9, "min": 3e9, "max": 3e9, "currency": "USD", "approximate": False}]


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
