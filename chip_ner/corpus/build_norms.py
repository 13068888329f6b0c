"""Build the traditional -> simplified character table that makes the model script-invariant.

Token texts (and offsets) stay as written; the table becomes the vocabulary's `lexeme_norm`
lookup, so `Token.norm_` of `偉` is `伟` and the NORM embedding is shared by both scripts.
The table is data made once from OpenCC's character dictionary (Apache-2.0) and committed,
so neither training nor the packaged model needs OpenCC.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import ChipNerError, Problem
from ..io import write_json

CJK_BLOCKS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


def build_norms(output: Path) -> int:
    """Every CJK character that OpenCC's t2s maps to a different single character."""
    try:
        import opencc
    except ImportError:
        raise ChipNerError("build-norms needs OpenCC", [Problem("opencc", "is not installed")],
                           "pip install opencc (only to rebuild the table; the table itself is committed)") from None

    t2s = opencc.OpenCC("t2s")
    table = {}
    for low, high in CJK_BLOCKS:
        for code in range(low, high + 1):
            char = chr(code)
            simplified = t2s.convert(char)
            if simplified != char and len(simplified) == 1:
                table[char] = simplified
    write_json(output, {"source": f"OpenCC {opencc.__version__} t2s, character level (Apache-2.0)",
                        "lexeme_norm": table})
    return len(table)
