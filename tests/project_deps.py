"""What each project.yml command really runs and reads, computed from the code and the script.

`code_closure` follows the imports of `chip_ner` statically (module level and inside functions,
since the CLI imports each step lazily), so the deps test compares project.yml with what
Python would load. Run `python tests/project_deps.py` to print the code deps of every command, `--write` to update
project.yml with them.
"""
from __future__ import annotations

import ast
import shlex
import sys
from pathlib import Path
from typing import Iterable, Optional

import srsly

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "chip_ner"
PATH_SUFFIXES = (".jsonl", ".json", ".md", ".cfg", ".spacy", ".txt", ".whl", ".html", ".png")


def module_file(module: str) -> Optional[Path]:
    """chip_ner.corpus.clean -> chip_ner/corpus/clean.py (or the package's __init__.py)."""
    base = ROOT / Path(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, nodes: Optional[Iterable[ast.AST]] = None) -> set[str]:
    """The chip_ner modules imported anywhere in `nodes` (default: the whole file)."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()
    for node in nodes if nodes is not None else [ast.parse(path.read_text(encoding="utf-8"))]:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Import):
                found |= {alias.name for alias in sub.names if alias.name.split(".")[0] == PACKAGE}
            elif isinstance(sub, ast.ImportFrom):
                if sub.level:
                    base = package.split(".")[: len(package.split(".")) - sub.level + 1]
                    source = ".".join(base + ([sub.module] if sub.module else []))
                else:
                    source = sub.module or ""
                if source.split(".")[0] != PACKAGE:
                    continue
                found.add(source)
                found |= {f"{source}.{alias.name}" for alias in sub.names if module_file(f"{source}.{alias.name}")}
    return found


def with_parents(module: str) -> set[str]:
    """Importing chip_ner.corpus.clean runs chip_ner/__init__.py and chip_ner/corpus/__init__.py too."""
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)}


def code_closure(modules: Iterable[str], unscanned: Iterable[str] = ()) -> set[str]:
    """Files (relative to the root) of `modules` and everything they import from chip_ner
    (`unscanned` modules count as files, but their imports are the caller's business)."""
    todo = [m for module in modules for m in with_parents(module)]
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        path = module_file(module)
        if path is None or module in unscanned:
            continue
        todo += [m for imported in imported_modules(path) for m in with_parents(imported)]
    return {str(module_file(m).relative_to(ROOT)) for m in seen if module_file(m)}


def cli_functions() -> dict[str, ast.FunctionDef]:
    tree = ast.parse((ROOT / "chip_ner/cli.py").read_text(encoding="utf-8"))
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def cli_command_function(name: str) -> ast.FunctionDef:
    """The function in chip_ner/cli.py registered as command `name` (its decorator names it)."""
    for node in cli_functions().values():
        for decorator in node.decorator_list:
            if (isinstance(decorator, ast.Call) and decorator.args and isinstance(decorator.args[0], ast.Constant)
                    and decorator.args[0].value == name):
                return node
    raise LookupError(f"no command {name!r} in chip_ner/cli.py")


def called_helpers(function: ast.FunctionDef) -> list[ast.FunctionDef]:
    """The function and the cli.py functions it calls, transitively (their lazy imports run too)."""
    functions = cli_functions()
    found, todo = {}, [function]
    while todo:
        node = todo.pop()
        if node.name in found:
            continue
        found[node.name] = node
        todo += [functions[sub.func.id] for sub in ast.walk(node)
                 if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in functions]
    return list(found.values())


def cli_closure(command: str) -> set[str]:
    """`python -m chip_ner COMMAND`: __main__, the CLI module and what the command's function imports."""
    cli = ROOT / "chip_ner/cli.py"
    tree = ast.parse(cli.read_text(encoding="utf-8"))
    module_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    imports = imported_modules(cli, module_level) | imported_modules(cli, called_helpers(cli_command_function(command)))
    return code_closure(imports | {"chip_ner.__main__", "chip_ner.cli"}, unscanned={"chip_ner.cli"})


def file_closure(paths: Iterable[str]) -> set[str]:
    """`--code a.py,b.py`: spaCy imports each file on its own (not as part of chip_ner), so the
    files themselves and what they import from chip_ner."""
    paths = list(paths)
    return set(paths) | code_closure(m for p in paths for m in imported_modules(ROOT / p))


def script_lines(command: dict, variables: dict) -> list[list[str]]:
    lines = []
    for line in command["script"]:
        for key, value in variables.items():
            line = line.replace("${vars.%s}" % key, str(value))
        lines.append(shlex.split(line))
    return lines


def code_deps(command: dict, variables: dict) -> set[str]:
    """The Python files of this project that the command's script runs."""
    deps: set[str] = set()
    for args in script_lines(command, variables):
        if args[:3] == ["python", "-m", "chip_ner"]:
            deps |= cli_closure(args[3])
        elif "--code" in args:
            deps |= file_closure(args[args.index("--code") + 1].split(","))
    return deps


def named_paths(command: dict, variables: dict) -> set[str]:
    """Every argument of the script that names a path of the project (`NAME=path` and comma
    lists included), whether it exists yet or not."""
    paths = set()
    top_level = set(srsly.read_yaml(ROOT / "project.yml").get("directories", [])) | {".doccano"}
    for args in script_lines(command, variables):
        for arg in args[1:]:
            if arg.startswith("-") or "://" in arg:
                continue
            for part in arg.split("=", 1)[-1].split(","):
                if "/" in part or Path(part).suffix in PATH_SUFFIXES or part in top_level:
                    paths.add(part)
    return paths


def path_overrides(args: list[str]) -> dict[str, str]:
    """`--paths.patterns X` on a `spacy train` line replaces the config's own [paths] value."""
    return {arg[2:]: value for arg, value in zip(args, args[1:]) if arg.startswith("--paths.")}


def config_files(config_path: Path, overrides: Optional[dict[str, str]] = None) -> set[str]:
    """Project files a training config reads (after the command line's path overrides): every
    string value that names an existing file or folder of the project."""
    from spacy.util import load_config

    config = load_config(config_path, overrides=overrides or {}, interpolate=True)
    found = set()

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        elif isinstance(value, str) and "/" in value and (ROOT / value).exists():
            found.add(value)

    walk(config)
    return found


def write_code_deps(path: Path = ROOT / "project.yml") -> None:
    """Replace the chip_ner/ entries of every command's deps with its computed closure (data deps,
    comments and order of the rest are kept)."""
    from srsly.ruamel_yaml import YAML

    yaml = YAML(typ="rt")
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    project = yaml.load(path.read_text(encoding="utf-8"))
    for command in project["commands"]:
        data = [d for d in command.get("deps", []) if not str(d).startswith(PACKAGE + "/")]
        code = sorted(code_deps(command, project["vars"]))
        if "deps" in command:
            command["deps"].clear()
            command["deps"].extend(data + code)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(project, handle)


def main() -> None:
    """Print every command's code deps; with --write, put them into project.yml."""
    if "--write" in sys.argv:
        write_code_deps()
        return
    project = srsly.read_yaml(ROOT / "project.yml")
    for command in project["commands"]:
        print(f"{command['name']}:")
        for path in sorted(code_deps(command, project["vars"])):
            print(f'      - "{path}"')


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
