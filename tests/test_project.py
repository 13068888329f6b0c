"""The project file: deps that match what each step runs and reads, and its corpus steps run on a copy."""
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import srsly
from conftest import ROOT, copy_project
from project_deps import (
    code_deps,
    config_files,
    named_paths,
    path_overrides,
    script_lines,
)

CORPUS_STEPS = ["clean", "pre-annotate", "agreement", "validate"]


# CLI commands that share one module: the server's start and stop, the MSRA corpus and its benchmark.
SHARED_MODULES = {"doccano-start": "doccano_server", "doccano-stop": "doccano_server", "fetch-msra": "msra",
                  "benchmark-msra": "msra"}
SERVER_STEPS = {"doccano-start", "doccano-stop", "push", "pull"}
TRAINING_STEPS = {"train", "cross-validate", "compare-segmenters"}
# Named in a script but read only on some settings; a dep would force the step that makes it first.
OPTIONAL_INPUTS = {("push", "training/${vars.config}/model-last"): "read only with --source model or --order uncertain",
                   ("doccano-stop", ".doccano"): "the server's pid files; stopping works whether or not it runs"}
PROJECT = srsly.read_yaml(ROOT / "project.yml")
COMMANDS = PROJECT["commands"]


def declared(command):
    return list(command.get("deps", [])), list(command.get("outputs", [])) + list(command.get("outputs_no_cache", []))


def expand(path, variables=PROJECT["vars"]):
    for key, value in variables.items():
        path = path.replace("${vars.%s}" % key, str(value))
    return path


@pytest.mark.parametrize("command", COMMANDS, ids=[c["name"] for c in COMMANDS])
def test_code_deps_are_the_import_closure(command):
    """The chip_ner files a step depends on are exactly the ones its script runs (imports followed)."""
    deps, _ = declared(command)
    declared_code = {expand(d) for d in deps if d.startswith("chip_ner/")}
    assert declared_code == code_deps(command, PROJECT["vars"]), (
        f"{command['name']}: missing {sorted(code_deps(command, PROJECT['vars']) - declared_code)}, "
        f"not run {sorted(declared_code - code_deps(command, PROJECT['vars']))} (python tests/project_deps.py prints them)")


@pytest.mark.parametrize("command", COMMANDS, ids=[c["name"] for c in COMMANDS])
def test_every_file_a_step_names_is_a_dep_or_an_output(command):
    deps, outputs = declared(command)
    known = {expand(p) for p in deps + outputs}
    optional = {expand(path) for (name, path) in OPTIONAL_INPUTS if name == command["name"]}
    for path in named_paths(command, PROJECT["vars"]) - optional:
        inside = any(k.startswith(path.rstrip("/") + "/") for k in known)  # a folder its outputs live in
        assert path in known or inside, f"{command['name']} names {path} but neither depends on it nor makes it"
    if command["name"] in TRAINING_STEPS:
        for line in script_lines(command, PROJECT["vars"]):
            for config in [a for a in line if a.endswith(".cfg")]:
                for path in config_files(ROOT / config, path_overrides(line)):
                    assert path in known, f"{command['name']}: {config} reads {path}, which is not a dep"


def test_data_deps_exist_or_are_made_by_an_earlier_step():
    made = set()
    for command in COMMANDS:
        deps, outputs = declared(command)
        for dep in deps:
            dep = expand(dep)
            assert (ROOT / dep).exists() or dep in made or any(m.startswith(dep + "/") for m in made), \
                f"{command['name']} depends on {dep}, which nothing makes"
        made |= {expand(o) for o in outputs}


def test_steps_in_workflows_declare_outputs_and_follow_the_command_order():
    in_workflows = {step for steps in PROJECT["workflows"].values() for step in steps}
    for command in COMMANDS:
        if command["name"] in in_workflows:
            assert declared(command)[1], f"{command['name']} declares no outputs, so it can never be skipped"
    names = [c["name"] for c in COMMANDS]
    for workflow in PROJECT["workflows"].values():
        assert workflow == sorted(workflow, key=names.index), "workflow steps must follow the command order"


def test_steps_that_talk_to_a_server_always_run():
    """weasel skips a step whose deps are unchanged; what doccano holds is not a dep it can see."""
    for command in COMMANDS:
        assert bool(command.get("no_skip")) == (command["name"] in SERVER_STEPS), command["name"]


def test_each_step_runs_the_module_named_after_its_cli_command():
    """`pre-annotate` -> chip_ner/<subpackage>/pre_annotate.py (SHARED_MODULES name the exceptions); a
    project command is named after the CLI command it runs (`cross-validate-ablated` runs `cross-validate`)."""
    for command in COMMANDS:
        if command["script"][0].startswith("python -m chip_ner "):
            cli = command["script"][0].split()[3]
            assert command["name"].startswith(cli), command["name"]
            stem = SHARED_MODULES.get(cli, cli.replace("-", "_"))
            assert any(Path(d).stem == stem for d in command["deps"]), command["name"]


def test_seed_checksums_hold():
    """The seeds are byte for byte as received: project.yml's assets carry their md5."""
    assets = {a["dest"]: a["checksum"] for a in PROJECT["assets"]}
    seeds = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "seeds").glob("*.txt"))
    assert sorted(assets) == seeds
    for dest, checksum in assets.items():
        assert hashlib.md5((ROOT / dest).read_bytes()).hexdigest() == checksum, dest


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
    assert "--patterns configs/${vars.patterns}.jsonl --ablate-lists" in commands["cross-validate-ablated"]
    assert "--paths.patterns corpus/patterns_train.jsonl" in commands["train"]
    assert "--held-out ${vars.dev_articles}" in commands["filter-patterns"]
