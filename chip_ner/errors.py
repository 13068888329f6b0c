"""One error type that always says where (file, line, offset) and why."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union


@dataclass
class Problem:
    """A located problem in an input file; `line` is 1-based, `offset` a code-point index."""

    path: Union[str, Path]
    reason: str
    line: Optional[int] = None
    offset: Optional[int] = None

    def __str__(self) -> str:
        where = str(self.path)
        if self.line is not None:
            where += f":{self.line}"
        if self.offset is not None:
            where += f" (offset {self.offset})"
        return f"{where}: {self.reason}"


class ChipNerError(Exception):
    """Raised for bad input; carries every problem found, plus a hint on what to run next."""

    def __init__(self, title: str, problems: list[Problem], hint: str = ""):
        self.title = title
        self.problems = problems
        self.hint = hint
        super().__init__(self.render())

    def __reduce__(self):
        """Rebuild from the parts, so the error survives a process pool (cross-validate's folds)."""
        return type(self), (self.title, self.problems, self.hint)

    def render(self) -> str:
        lines = [self.title] + [f"  {problem}" for problem in self.problems]
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)
