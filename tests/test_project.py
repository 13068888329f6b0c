"""The project file and its corpus steps, run on a copy of the repository."""
import subprocess
import sys

import srsly

from conftest import ROOT, copy_project

CORPUS_STEPS = ["clean", "pre-annotate", "agreement", "validate"]


SHARED_MODULES = {"doccano-start": "chip_ner/doccano_server.py", "doccano-stop": "chip_ner/doccano_server.py"}


def test_project_commands_declare_their_module_and_outputs():
    """Each `python -m chip_ner X` step depends on chip_ner/X.py; spaCy steps on the code they load;
    every step of a workflow declares its outputs, so reruns skip up-to-date steps."""
    project = srsly.read_yaml(ROOT / "project.yml")
    in_workflows = {step for steps in project["workflows"].values() for step in steps}
    for command in project["commands"]:
        script = " ".join(command["script"])
        if any(line.startswith("python -m chip_ner ") for line in command["script"]):
            module = SHARED_MODULES.get(command["name"], f"chip_ner/{command['name'].replace('-', '_')}.py")
        else:
            module = script.split("--code ")[1].split()[0]
        for path in module.split(","):
            assert path in command["deps"], f"{command['name']} must depend on {path}"
            assert (ROOT / path).exists()
        if command["name"] in in_workflows:
            assert command.get("outputs") or command.get("outputs_no_cache"), command["name"]
    names = [c["name"] for c in project["commands"]]
    for workflow in project["workflows"].values():
        assert workflow == sorted(workflow, key=names.index), "workflow steps must follow the command order"


def weasel_run(project_dir, step):
    return subprocess.run([sys.executable, "-m", "weasel", "run", step], cwd=project_dir, capture_output=True, text=True)


def test_corpus_steps_on_a_fresh_copy(tmp_path):
    """The corpus half of `all` (the training half is in test_package.py, with fewer steps)."""
    copy_project(tmp_path)
    for step in CORPUS_STEPS:
        result = weasel_run(tmp_path, step)
        assert result.returncode == 0, result.stdout + result.stderr
    for output in ["corpus/paragraphs.jsonl", "corpus/pre_annotations.jsonl", "corpus/gold_stats.json",
                   "corpus/agreement.json"]:
        assert (tmp_path / output).exists(), output
    assert "Gold spans" in result.stdout and "gold records valid" in result.stdout
    reruns = [weasel_run(tmp_path, step).stdout for step in CORPUS_STEPS]
    assert all("Skipping" in out for out in reruns), reruns


def test_cross_validation_rebuilds_the_patterns_per_fold():
    """The project's patterns were curated after reading the articles: every command that scores
    an article with a trained pipeline must get them filtered (no evaluation leak)."""
    project = srsly.read_yaml(ROOT / "project.yml")
    commands = {c["name"]: " ".join(c["script"]) for c in project["commands"]}
    assert "--patterns configs/${vars.patterns}.jsonl" in commands["cross-validate"]
    assert "--paths.patterns corpus/patterns_train.jsonl" in commands["train"]
    assert "--held-out ${vars.dev_articles}" in commands["filter-patterns"]
