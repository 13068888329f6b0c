import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def small(tmp_path):
    """A copy of the tiny paragraphs + gold in tests/data, safe to corrupt."""
    for name in ("paragraphs.jsonl", "gold.jsonl"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def read_records(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line]


def write_records(path, records):
    Path(path).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


PROJECT_FILES = ["project.yml", "seeds", "configs", "corpus/annotations", "corpus/GUIDELINES.md", "chip_ner"]


def copy_project(dest):
    """A copy of the project's own files (no generated artefacts), as a fresh clone has them."""
    for name in PROJECT_FILES:
        source, target = ROOT / name, Path(dest) / name
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    return Path(dest)
