"""`chip-ner extract --engine spark` in local[2]: the same rows and rejects as the local engine,
and nothing listens beyond 127.0.0.1 while a job runs. One SparkSession for the module."""
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_extract import build_pipeline, make_archive, pipe_rows

from chip_ner.evaluation.benchmark_scale import process_tree
from chip_ner.extract.local import extract, read_rows
from chip_ner.extract.spark import (class_archive_options, class_archive_path, extract_spark, finish_class_archive,
                                    spark_session)

pytest.importorskip("pyspark", reason="needs pyspark: pip install -e '.[test]'")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("needs Java 17+ (apt-get install openjdk-17-jre-headless; .ci/run installs it)", allow_module_level=True)


@pytest.fixture(scope="module")
def spark():
    session = spark_session("local[2]", class_cache=None)  # the class archive is tested in child processes below
    yield session
    session.stop()


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("spark")
    model = str(build_pipeline(root / "model"))
    paragraphs, _ = make_archive(root / "archive")
    extract(root / "archive", root / "local.jsonl", model=model)
    return root, model, paragraphs


@pytest.mark.parametrize("partition_by, rows_per_task", [("label", 1), ("file", 1000), (None, 2)])
def test_spark_gives_the_rows_and_rejects_of_the_local_engine(spark, setup, partition_by, rows_per_task):
    root, model, paragraphs = setup
    output = root / f"spark_{partition_by}_{rows_per_task}"
    report = extract_spark(root / "archive", output, model=model, partition_by=partition_by,
                           rows_per_task=rows_per_task, spark=spark)
    local_rows = read_rows(root / "local.jsonl")
    assert read_rows(output) == local_rows == pipe_rows(model, paragraphs)
    assert report.rejects_path.read_bytes() == (root / "local.jsonl.rejects.jsonl").read_bytes()
    assert (report.paragraphs, report.entities, report.rejects) == (len(paragraphs), len(local_rows), 8)
    if partition_by is not None:
        assert {p.name.split("=")[0] for p in output.iterdir() if p.is_dir()} == {partition_by}


def listening_addresses(pids):
    """(address, port) of every TCP socket in LISTEN state that one of `pids` holds."""
    inodes = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    found = set()
    for table, width in (("tcp", 8), ("tcp6", 32)):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] != "0A" or fields[9] not in inodes:  # 0A: LISTEN
                continue
            address, port = fields[1].split(":")
            raw = bytes.fromhex(address)
            words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))  # little-endian words
            found.add((words.hex() if width == 32 else ".".join(map(str, words)), int(port, 16)))
    return found


def is_loopback(address):
    return address.startswith("127.") or address in ("0" * 31 + "1",) or (
        address.startswith("0" * 20 + "ffff") and address[24:26] == "7f")


def test_nothing_listens_beyond_loopback_while_a_job_runs(spark, setup):
    root, model, _ = setup
    done = threading.Event()
    errors = []

    def job():
        try:
            extract_spark(root / "archive", root / "sockets", model=model, rows_per_task=1, overwrite=True, spark=spark)
        except Exception as err:  # noqa: BLE001  (reported below)
            errors.append(err)
        finally:
            done.set()

    sockets, samples = set(), 0
    thread = threading.Thread(target=job)
    thread.start()
    while not done.is_set():
        sockets |= listening_addresses(process_tree(os.getpid()))
        samples += 1
        time.sleep(0.05)
    thread.join()
    assert not errors, errors
    assert samples >= 3 and sockets, "no listening socket seen while the job ran"
    assert all(is_loopback(address) for address, _ in sockets), sorted(sockets)
    assert not any(port == 4040 for _, port in sockets)  # the web UI is off


def test_class_archive_options(tmp_path):
    assert class_archive_options(None) == ("", None)
    options, pending = class_archive_options(tmp_path / "cache")
    partial, archive = pending
    assert f"-XX:ArchiveClassesAtExit={partial}" in options and archive == class_archive_path(tmp_path / "cache")
    assert partial.parent == archive.parent and partial != archive and (tmp_path / "cache").is_dir()
    archive.write_bytes(b"x")
    assert class_archive_options(tmp_path / "cache") == (
        f"-XX:+IgnoreUnrecognizedVMOptions -XX:SharedArchiveFile={archive}", None)


def test_a_failed_dump_leaves_no_archive(tmp_path, monkeypatch):
    from pyspark import SparkContext

    monkeypatch.setattr(SparkContext, "_gateway", None)  # no JVM: nothing was written
    partial, archive = tmp_path / "a.jsa.1.partial", tmp_path / "a.jsa"
    partial.write_bytes(b"half")
    assert not finish_class_archive((partial, archive))
    assert not partial.exists() and not archive.exists()


CHILD = """
import sys
from pathlib import Path
from pyspark import SparkContext
from chip_ner.extract.spark import class_archive_path, spark_session
session = spark_session("local[1]", class_cache=Path(sys.argv[1]))
total = session.sparkContext.parallelize(range(10), 2).sum()
maps = Path(f"/proc/{SparkContext._gateway.proc.pid}/maps").read_text()
print(total, str(class_archive_path(Path(sys.argv[1]))) in maps)
session.stop()
"""


def test_the_first_run_writes_the_class_archive_and_the_next_maps_it(tmp_path):
    cache = tmp_path / "cache"

    def run():
        done = subprocess.run([sys.executable, "-c", CHILD, str(cache)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert "[warning][cds]" not in done.stdout + done.stderr
        return done.stdout.split()

    assert run() == ["45", "False"]
    archives = list(cache.iterdir())
    assert [a.name for a in archives] == [class_archive_path(cache).name] and archives[0].stat().st_size > 10_000_000
    assert run() == ["45", "True"]  # the JVM mapped the archive
    assert list(cache.iterdir()) == archives
