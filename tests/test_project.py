"""End to end: the project's `all` workflow on a copy of the repository."""
import shutil
import subprocess
import sys

import srsly

from conftest import ROOT

COPIED = ["project.yml", "seeds", "configs", "corpus/annotations", "corpus/GUIDELINES.md", "chip_ner"]


def test_project_commands_declare_their_module_and_outputs():
    project = srsly.read_yaml(ROOT / "project.yml")
    for command in project["commands"]:
        module = f"chip_ner/{command['name'].replace('-', '_')}.py"
        assert module in command["deps"], f"{command['name']} must depend on {module}"
        assert command["outputs"], command["name"]
        assert (ROOT / module).exists()
    assert project["workflows"]["all"] == [c["name"] for c in project["commands"]]


def test_run_all_on_a_fresh_copy(tmp_path):
    for name in COPIED:
        source, target = ROOT / name, tmp_path / name
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    result = subprocess.run([sys.executable, "-m", "weasel", "run", "all"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    for output in ["corpus/paragraphs.jsonl", "corpus/pre_annotations.jsonl", "corpus/gold_stats.json",
                   "corpus/agreement.json"]:
        assert (tmp_path / output).exists(), output
    assert "Gold spans" in result.stdout and "gold records valid" in result.stdout
    rerun = subprocess.run([sys.executable, "-m", "weasel", "run", "all"], cwd=tmp_path,
                           capture_output=True, text=True)
    assert rerun.stdout.count("Skipping") == 4, rerun.stdout
