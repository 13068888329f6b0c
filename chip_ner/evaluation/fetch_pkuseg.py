"""Fetch pkuseg's pretrained mixed-domain model from its PyPI source distribution.

No model hub is reachable here, but the `pkuseg` 0.0.25 sdist on PyPI ships the model
(`pkuseg/models/default/features.pkl` + `weights.npz`), which `spacy_pkuseg` loads from a
directory. The pkuseg project releases its models for research use, so this model is only
used to compare segmenters, never shipped in the project's wheel.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from ..errors import ChipNerError, Problem
from ..io import file_sha256

SDIST = "pkuseg-0.0.25.tar.gz"
SHA256 = "dd012bf93689721c9574bc2b2ba98fb4ac22790cec0af354a78e217828b81e91"
MODEL_FILES = ("features.pkl", "weights.npz")
# pip builds an sdist's metadata even to download it; pkuseg's setup.py needs these.
BUILD_REQUIREMENTS = ("cython", "numpy", "setuptools", "wheel")


def download_sdist(dest: Path) -> Path:
    pip = [sys.executable, "-m", "pip"]
    pip_run(pip + ["install", "--quiet", *BUILD_REQUIREMENTS])
    pip_run(pip + ["download", "--quiet", "--no-deps", "--no-binary", ":all:", "--no-build-isolation",
                   "pkuseg==0.0.25", "-d", str(dest)])
    return dest / SDIST


def pip_run(args: list[str]) -> None:
    """Run pip; a failure (offline, index down) is named with pip's own last words, not a traceback."""
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise ChipNerError("Cannot fetch the pkuseg sdist", [Problem(" ".join(args[2:4]), result.stderr.strip()[-2000:])],
                           "Check the network (PyPI must be reachable) and rerun.")


def fetch_pkuseg(output: Path) -> Path:
    """Download, verify and unpack the model into `output` (moved into place only when complete)."""
    output = Path(output)
    with tempfile.TemporaryDirectory() as tmp:
        sdist = download_sdist(Path(tmp))
        if file_sha256(sdist) != SHA256:
            raise ChipNerError("pkuseg sdist checksum mismatch", [Problem(sdist, f"sha256 is not {SHA256}")])
        staging = Path(tmp) / "model"
        staging.mkdir()
        with tarfile.open(sdist) as archive:
            for name in MODEL_FILES:
                member = archive.getmember(f"pkuseg-0.0.25/pkuseg/models/default/{name}")
                with archive.extractfile(member) as src, open(staging / name, "wb") as dst:
                    shutil.copyfileobj(src, dst)
        if output.exists():
            shutil.rmtree(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging), str(output))
    return output
