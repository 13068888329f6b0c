import json
import os
import shutil
import socket
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


def blank_zh(*components):
    """A blank Chinese pipeline with the project's tokenizer (one character per token, Latin runs
    whole), and these weightless components added with their default settings."""
    import spacy
    import chip_ner.spacy_code  # noqa: F401  (registers the tokenizer and the components)

    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "chip_ner.CharLatinTokenizer.v1"}}})
    for name in components:
        nlp.add_pipe(name)
    return nlp


def through(nlp, component, text, spans):
    """`text` with the entities (surface, label) set as a model would set them (each surface's
    first occurrence), then through the pipeline's `component` alone."""
    doc = nlp.make_doc(text)
    doc.ents = [doc.char_span(text.index(surface), text.index(surface) + len(surface), label=label)
                for surface, label in spans]
    return nlp.get_pipe(component)(doc)


def corpus_with(folder, extra):
    """tests/data copied to `folder`, plus a paragraph and its gold for each `pid: (text, [(surface,
    label), ...])` of `extra` (each surface's first occurrence)."""
    shutil.copy(DATA / "paragraphs.jsonl", folder / "paragraphs.jsonl")
    shutil.copy(DATA / "gold.jsonl", folder / "gold.jsonl")
    paragraphs, gold = read_records(folder / "paragraphs.jsonl"), read_records(folder / "gold.jsonl")
    for pid, (text, items) in extra.items():
        article = pid.split("-")[0]
        paragraphs.append({"id": pid, "article": article, "text": text, "seed": f"{article}.txt", "start": 0,
                           "end": len(text), "repairs": 0})
        gold.append({"text": text, "meta": {"id": pid, "article": article}, "label": spans_of(text, items)})
    write_records(folder / "paragraphs.jsonl", paragraphs)
    write_records(folder / "gold.jsonl", gold)
    return folder


def spans_of(text, items):
    out = []
    for surface, label in items:
        start = text.index(surface)
        out.append([start, start + len(surface), label])
    return out


def read_records(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line]


def write_records(path, records):
    Path(path).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


PROJECT_FILES = ["project.yml", "seeds", "written", "configs", "corpus/annotations", "corpus/GUIDELINES.md", "chip_ner"]


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


DOCCANO_PASSWORD = "test-only-password"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real doccano on 127.0.0.1 for one test module, installed once into .doccano/venv
    (git-ignored); skipped only when that install is impossible, with the reason."""
    from chip_ner.annotation.doccano_server import DoccanoServer
    from chip_ner.errors import ChipNerError

    srv = DoccanoServer(root=tmp_path_factory.mktemp("doccano"), port=free_port(), venv_dir=ROOT / ".doccano" / "venv")
    try:
        srv.install()
    except ChipNerError as err:
        pytest.skip(f"doccano cannot be installed here: {err}")
    srv.init("admin", DOCCANO_PASSWORD)
    srv.start()
    yield srv
    srv.stop()
    assert not srv.is_up()
    assert processes_of(srv.root) == [], "doccano processes left behind"


def processes_of(root):
    """Every live process whose environment points doccano at `root` (a web server, a task worker)."""
    home = f"DOCCANO_HOME={root}/".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                if home in handle.read():
                    found.append(int(entry))
        except OSError:
            continue
    from chip_ner.annotation.doccano_server import process_start_time

    return [pid for pid in found if process_start_time(pid) is not None]  # None: gone, or a zombie
