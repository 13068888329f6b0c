"""The files of chip_ner/pipeline/ are copied flat into the model wheel (`spacy package --code`),
so they must run without this project, and next to the project's own copies in one process."""
import ast
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
import srsly
from spacy.util import import_file, registry

from chip_ner.pipeline import canonical, money, ops, person, tokenizer  # noqa: F401  (the project's files first)

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = ROOT / "chip_ner" / "pipeline"
ALLOWED = {"spacy", "srsly", "thinc"} | set(sys.stdlib_module_names)
TOKENIZER = {"nlp": {"tokenizer": {"@tokenizers": "chip_ner.CharLatinTokenizer.v1"}}}
CUES = [{"cue": "分析师", "kind": "title"}, {"cue": "表示", "kind": "after"}, {"cue": "黄", "kind": "surname"}]
PATTERNS = [{"label": "PERSON", "pattern": "黄仁勋", "id": "jensen-huang"}]


def shipped_files() -> list[Path]:
    return sorted(path for path in PIPELINE.glob("*.py") if path.name != "__init__.py")


def imports(path: Path) -> list[tuple[str, int]]:
    """(module, relative level) of every import statement in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.module or "", node.level))
    return found


@pytest.mark.parametrize("path", shipped_files(), ids=lambda path: path.name)
def test_shipped_file_imports_only_spacy_srsly_thinc_and_the_standard_library(path):
    for module, level in imports(path):
        assert level == 0, f"{path.name}: relative import `from {'.' * level}{module} import ...`"
        top = module.split(".")[0]
        assert top != "chip_ner", f"{path.name}: imports {module}, which the wheel does not have"
        assert top in ALLOWED, f"{path.name}: imports {module}, not spaCy, srsly, thinc or the standard library"


def package_code() -> list[str]:
    """The comma list after `--code` in project.yml's `package` command."""
    commands = srsly.read_yaml(ROOT / "project.yml")["commands"]
    for line in next(command for command in commands if command["name"] == "package")["script"]:
        words = shlex.split(line)
        if "--code" in words:
            return words[words.index("--code") + 1].split(",")
    raise AssertionError("project.yml: the package command has no --code")


def test_package_command_ships_exactly_the_pipeline_folder():
    code = package_code()
    assert len(code) == len(set(code)), code
    assert set(code) == {path.relative_to(ROOT).as_posix() for path in shipped_files()}


# The wheel's copies next to the project's files ------------------------------------------

def copy_shipped_files(dest: Path) -> list[Path]:
    """The shipped files at another path, as the installed wheel has them (spaCy lets the same
    file register a factory twice, so only a copy shows the clash)."""
    dest.mkdir()
    return [Path(shutil.copy(path, dest / path.name)) for path in shipped_files()]


@pytest.fixture
def wheel_copies(tmp_path):
    """Each shipped file imported a second time from its copy under another module name. The
    catalogue entries a copy replaces are put back, so later tests get the project's functions."""
    saved = [(reg, name, reg.get(name)) for reg, name in
             ((registry.tokenizers, "chip_ner.CharLatinTokenizer.v1"), (registry.misc, "chip_ner.money_matcher.v1"),
              (registry.callbacks, "chip_ner.openblas_ops.v1"))]
    try:
        yield {path.stem: import_file(f"wheel_{path.stem}", path) for path in copy_shipped_files(tmp_path / "wheel")}
    finally:
        for reg, name, func in saved:
            reg.register(name, func=func)


def shipped_pipeline() -> spacy.Language:
    nlp = spacy.blank("zh", config=TOKENIZER)
    nlp.add_pipe("chip_ner_person_cues").initialize(cues=CUES)
    nlp.add_pipe("chip_ner_money", config={"mode": "authoritative"})
    nlp.add_pipe("chip_ner_canonical").initialize(patterns=PATTERNS)
    return nlp


def check_shipped_pipeline(nlp: spacy.Language) -> None:
    doc = nlp("分析师黄仁勋表示,英伟达投资20亿美元。")
    assert [(e.text, e.label_, e.id_) for e in doc.ents] == [("黄仁勋", "PERSON", "jensen-huang"), ("20亿美元", "MONEY", "")]
    assert doc.ents[1]._.money["value"] == 2e9 and doc.ents[1]._.money["currency"] == "USD"


def test_wheel_copies_import_after_the_project_files(wheel_copies):
    assert sorted(wheel_copies) == sorted(path.stem for path in shipped_files())
    check_shipped_pipeline(shipped_pipeline())


def test_project_files_import_after_the_wheel_copies(tmp_path):
    """The other order, in a fresh process: the wheel loaded first, then the project's files."""
    script = (
        "import sys\nfrom pathlib import Path\nfrom spacy.util import import_file\n"
        "for path in sorted(Path(sys.argv[1]).glob('*.py')):\n"
        "    import_file('wheel_' + path.stem, path)\n"
        "import chip_ner.pipeline.canonical, chip_ner.pipeline.money, chip_ner.pipeline.person\n"
        "import tests.test_layout as layout\n"
        "layout.check_shipped_pipeline(layout.shipped_pipeline())\n"
    )
    copy_shipped_files(tmp_path / "wheel")
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "wheel")], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
