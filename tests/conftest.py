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
