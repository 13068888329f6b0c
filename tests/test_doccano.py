"""Integration tests against a real doccano server on 127.0.0.1 (started and stopped here, by
the `server` fixture in conftest.py)."""
import json
import os
import shutil
import socket
import subprocess
import sys

import pytest
from conftest import DOCCANO_PASSWORD, ROOT, copy_project, corpus_with, free_port, processes_of, read_records, write_records

from chip_ner.annotation.doccano_api import DoccanoAPI, utf16_offset
from chip_ner.annotation.doccano_server import DoccanoServer
from chip_ner.annotation.pull import pull
from chip_ner.annotation.push import push
from chip_ner.errors import ChipNerError

PASSWORD = DOCCANO_PASSWORD
EMOJI_TEXT = "💰 苹果使用谷歌TPU，台积电代工，投资约30亿美元。"


@pytest.fixture
def corpus(tmp_path):
    """tests/data plus one paragraph with an emoji before its entities."""
    return corpus_with(tmp_path, {"902-p000": (EMOJI_TEXT, [("苹果", "COMPANY"), ("谷歌", "COMPANY"), ("TPU", "CHIP"),
                                                            ("30亿美元", "MONEY")])})


def api_for(server):
    return DoccanoAPI(server.url, "admin", PASSWORD)


def push_gold(server, corpus, project):
    return push(api_for(server), project, corpus / "paragraphs.jsonl", corpus / "base.jsonl", source="gold",
                gold=corpus / "gold.jsonl")


def example_ids(api, project):
    project_id = api.find_project(project)["id"]
    return project_id, {e["meta"]["id"]: e["id"] for e in api.examples(project_id)}


def span_id(api, project_id, example_id, text, surface):
    start = utf16_offset(text, text.index(surface))
    return next(s["id"] for s in api.spans(project_id, example_id) if s["start_offset"] == start)


def review(server, project):
    """A reviewer's edits on the emoji paragraph, with UTF-16 offsets as doccano's UI uses."""
    api = api_for(server).login()
    project_id, ids = example_ids(api, project)
    example = ids["902-p000"]
    labels = api.span_types(project_id)
    api.delete_span(project_id, example, span_id(api, project_id, example, EMOJI_TEXT, "谷歌"))
    api.update_span_label(project_id, example, span_id(api, project_id, example, EMOJI_TEXT, "TPU"), labels["COMPANY"])
    start = EMOJI_TEXT.index("台积电")
    api.create_span(project_id, example, utf16_offset(EMOJI_TEXT, start), utf16_offset(EMOJI_TEXT, start + 3),
                    labels["COMPANY"])
    api.confirm(project_id, example)
    return api, project_id, ids


def gold_spans(corpus, pid):
    record = next(r for r in read_records(corpus / "gold.jsonl") if r["meta"]["id"] == pid)
    return [(record["text"][s:e], label) for s, e, label in record["label"]], record["meta"]


def test_push_is_idempotent(server, corpus):
    first = push_gold(server, corpus, "idempotent")
    second = push_gold(server, corpus, "idempotent")
    assert (first.created, first.existing) == (4, 0)
    assert (second.created, second.existing) == (0, 4)
    api = api_for(server).login()
    _, ids = example_ids(api, "idempotent")
    assert sorted(ids) == ["900-p000", "900-p001", "901-p000", "902-p000"]


def test_offsets_after_an_emoji_are_utf16_in_doccano(server, corpus):
    push_gold(server, corpus, "offsets")
    api = api_for(server).login()
    project_id, ids = example_ids(api, "offsets")
    stored = sorted((s["start_offset"], s["end_offset"]) for s in api.spans(project_id, ids["902-p000"]))
    start = EMOJI_TEXT.index("苹果")  # code point 2, UTF-16 unit 3: the emoji is two units
    assert stored[0] == (start + 1, start + 3)


def test_review_round_trip_merges_exactly(server, corpus):
    push_gold(server, corpus, "roundtrip")
    review(server, "roundtrip")
    before = {pid: gold_spans(corpus, pid)[0] for pid in ("900-p000", "900-p001", "901-p000")}
    report = pull(api_for(server), "roundtrip", corpus / "gold.jsonl", corpus / "paragraphs.jsonl", corpus / "base.jsonl")
    spans, meta = gold_spans(corpus, "902-p000")
    assert spans == [("苹果", "COMPANY"), ("TPU", "COMPANY"), ("台积电", "COMPANY"), ("30亿美元", "MONEY")]
    assert meta["doccano_confirmed"] is True
    assert (report.added, report.removed, report.relabelled) == ({"COMPANY": 1}, {"COMPANY": 1}, {"COMPANY": 1})
    for pid, spans_before in before.items():
        after, meta = gold_spans(corpus, pid)
        assert after == spans_before and meta["doccano_confirmed"] is False
    again = pull(api_for(server), "roundtrip", corpus / "gold.jsonl", corpus / "paragraphs.jsonl", corpus / "base.jsonl")
    assert not (again.added or again.removed or again.relabelled)


def test_conflict_is_reported_and_nothing_is_written(server, corpus):
    push_gold(server, corpus, "conflict")
    api, project_id, ids = review(server, "conflict")  # doccano: TPU -> COMPANY
    gold = read_records(corpus / "gold.jsonl")
    record = next(r for r in gold if r["meta"]["id"] == "902-p000")
    start = EMOJI_TEXT.index("TPU")
    record["label"] = [s if s[0] != start else [start, start + 3, "PERSON"] for s in record["label"]]  # local: PERSON
    write_records(corpus / "gold.jsonl", gold)
    gold_bytes, base_bytes = (corpus / "gold.jsonl").read_bytes(), (corpus / "base.jsonl").read_bytes()
    with pytest.raises(ChipNerError) as err:
        pull(api_for(server), "conflict", corpus / "gold.jsonl", corpus / "paragraphs.jsonl", corpus / "base.jsonl")
    message = str(err.value)
    assert "1 spans were changed both locally and in doccano" in message
    assert "902-p000: local 'TPU' PERSON" in message and "doccano 'TPU' COMPANY" in message and "was 'TPU' CHIP" in message
    assert (corpus / "gold.jsonl").read_bytes() == gold_bytes and (corpus / "base.jsonl").read_bytes() == base_bytes
    pull(api_for(server), "conflict", corpus / "gold.jsonl", corpus / "paragraphs.jsonl", corpus / "base.jsonl",
         prefer="local")
    assert ("TPU", "PERSON") in gold_spans(corpus, "902-p000")[0]


def test_text_edited_in_doccano_is_refused(server, corpus):
    push_gold(server, corpus, "edited")
    api = api_for(server).login()
    project_id, ids = example_ids(api, "edited")
    api.request("PATCH", f"v1/projects/{project_id}/examples/{ids['901-p000']}", "edit text",
                json={"text": "苹果在谷歌TPU上训练。"})
    gold_bytes = (corpus / "gold.jsonl").read_bytes()
    with pytest.raises(ChipNerError) as err:
        pull(api_for(server), "edited", corpus / "gold.jsonl", corpus / "paragraphs.jsonl", corpus / "base.jsonl")
    assert f"doccano example {ids['901-p000']}" in str(err.value) and "edited in doccano" in str(err.value)
    assert (corpus / "gold.jsonl").read_bytes() == gold_bytes


def test_span_beyond_the_text_is_refused(server, corpus):
    push_gold(server, corpus, "invalid")
    api = api_for(server).login()
    project_id, ids = example_ids(api, "invalid")
    api.create_span(project_id, ids["900-p001"], 30, 40, api.span_types(project_id)["CHIP"])  # doccano accepts it
    gold_bytes = (corpus / "gold.jsonl").read_bytes()
    with pytest.raises(ChipNerError) as err:
        pull(api_for(server), "invalid", corpus / "gold.jsonl", corpus / "paragraphs.jsonl", corpus / "base.jsonl")
    assert f"doccano example {ids['900-p001']}" in str(err.value) and "outside the text" in str(err.value)
    assert (corpus / "gold.jsonl").read_bytes() == gold_bytes


@pytest.mark.parametrize("make_api,expected", [
    (lambda srv: DoccanoAPI(srv.url, "admin", "wrong-password"), "HTTP 400"),
    (lambda srv: DoccanoAPI(f"http://127.0.0.1:{free_port()}/", "admin", PASSWORD), "server unreachable"),
])
def test_bad_server_or_credentials_fail_clearly(server, corpus, make_api, expected):
    gold_bytes = (corpus / "gold.jsonl").read_bytes()
    with pytest.raises(ChipNerError) as err:
        pull(make_api(server), "roundtrip", corpus / "gold.jsonl", corpus / "paragraphs.jsonl", corpus / "base.jsonl")
    assert expected in str(err.value)
    assert (corpus / "gold.jsonl").read_bytes() == gold_bytes


def test_unknown_project_fails_clearly(server, corpus):
    with pytest.raises(ChipNerError, match="no project named 'nope'"):
        pull(api_for(server), "nope", corpus / "gold.jsonl", corpus / "paragraphs.jsonl", corpus / "base.jsonl")


def pull_into(server, corpus, project, **kwargs):
    return pull(api_for(server), project, corpus / "gold.jsonl", corpus / "paragraphs.jsonl", corpus / "base.jsonl",
                **kwargs)


def test_a_pull_without_a_sync_record_refuses_what_differs_and_loses_nothing(server, corpus):
    """The probe: a base-less pull took the gold as the base, so doccano's unreviewed state counted
    as a reviewer's edits (26 records replaced, rc 0). Now only paragraphs where both sides agree
    are adopted; the others wait for the user to choose a side."""
    push_gold(server, corpus, "nobase")
    review(server, "nobase")
    (corpus / "base.jsonl").unlink()  # a second clone, or a lost base file
    gold_bytes = (corpus / "gold.jsonl").read_bytes()
    with pytest.raises(ChipNerError) as err:
        pull_into(server, corpus, "nobase")
    assert err.value.problems and all("902-p000" in str(p) for p in err.value.problems)
    assert "no sync record describes doccano example" in str(err.value) and "--unsynced remote" in str(err.value)
    assert (corpus / "gold.jsonl").read_bytes() == gold_bytes and not (corpus / "base.jsonl").exists()
    kept = pull_into(server, corpus, "nobase", unsynced="local")
    assert (kept.adopted, kept.chosen) == (3, 1) and spans_by_id(corpus) == gold_before(gold_bytes)
    again = pull_into(server, corpus, "nobase")  # the base now says what doccano holds
    assert not (again.added or again.removed or again.relabelled) and spans_by_id(corpus) == gold_before(gold_bytes)


def test_choosing_doccano_for_a_paragraph_without_a_sync_record(server, corpus):
    push_gold(server, corpus, "nobase-remote")
    review(server, "nobase-remote")
    (corpus / "base.jsonl").unlink()
    report = pull_into(server, corpus, "nobase-remote", unsynced="remote")
    assert gold_spans(corpus, "902-p000")[0] == [("苹果", "COMPANY"), ("TPU", "COMPANY"), ("台积电", "COMPANY"),
                                                 ("30亿美元", "MONEY")]
    assert (report.added, report.removed, report.relabelled) == ({"COMPANY": 1}, {"COMPANY": 1}, {"COMPANY": 1})


def test_a_base_made_against_another_example_is_no_base(server, corpus):
    """An example deleted in doccano and pushed again (or another server): the old record is not
    its ancestor."""
    push_gold(server, corpus, "stale")
    base = read_records(corpus / "base.jsonl")
    for record in base:
        record["example"] += 100000
    write_records(corpus / "base.jsonl", base)
    review(server, "stale")
    with pytest.raises(ChipNerError, match="902-p000: no sync record describes"):
        pull_into(server, corpus, "stale")


KILLING_PUSH = """
import os, signal, sys
from pathlib import Path
from chip_ner.annotation.doccano_api import DoccanoAPI
from chip_ner.annotation.push import push
calls = 0
create_span = DoccanoAPI.create_span
def dying(self, *args):
    global calls
    calls += 1
    if calls == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)  # kill -9: no finally block runs, nothing is compacted
    return create_span(self, *args)
DoccanoAPI.create_span = dying
corpus = Path(sys.argv[1])
push(DoccanoAPI(os.environ["URL"], "admin", os.environ["PASSWORD"]), sys.argv[3], corpus / "paragraphs.jsonl",
     corpus / "base.jsonl", source="gold", gold=corpus / "gold.jsonl")
"""


def test_a_push_killed_midway_is_finished_by_the_next_push_and_pull_deletes_nothing(server, corpus):
    """The probe: a push killed between an example and its spans left an example with 0 spans and
    no base; the next push skipped it and the next pull deleted its 3 gold spans."""
    gold_bytes = (corpus / "gold.jsonl").read_bytes()
    env = {**os.environ, "URL": server.url, "PASSWORD": PASSWORD}
    killed = subprocess.run([sys.executable, "-c", KILLING_PUSH, str(corpus), "4", "killed"], env=env, cwd=ROOT,
                            capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    states = [(r["id"], r["state"]) for r in read_records(corpus / "base.jsonl")]
    assert states[-1][1] == "pending" and ("900-p000", "synced") in states  # the journal says how far it got
    with pytest.raises(ChipNerError, match="push was interrupted"):
        pull_into(server, corpus, "killed")
    report = push_gold(server, corpus, "killed")
    assert (report.resumed, report.unsynced) == (1, [])
    api = api_for(server).login()
    project_id, ids = example_ids(api, "killed")
    assert sorted(ids) == ["900-p000", "900-p001", "901-p000", "902-p000"]  # no example made twice
    merged = pull_into(server, corpus, "killed")
    assert not (merged.added or merged.removed or merged.relabelled)
    assert spans_by_id(corpus) == gold_before(gold_bytes)
    assert {r["state"] for r in read_records(corpus / "base.jsonl")} == {"synced"}


def gold_before(gold_bytes):
    records = [json.loads(line) for line in gold_bytes.decode("utf-8").splitlines()]
    return {r["meta"]["id"]: r["label"] for r in records}


def spans_by_id(corpus):
    return {r["meta"]["id"]: r["label"] for r in read_records(corpus / "gold.jsonl")}


def test_an_example_made_elsewhere_is_left_alone_by_push(server, corpus):
    push_gold(server, corpus, "elsewhere")
    (corpus / "base.jsonl").unlink()
    report = push_gold(server, corpus, "elsewhere")
    assert (report.created, report.resumed, sorted(report.unsynced)) == (0, 0, ["900-p000", "900-p001", "901-p000",
                                                                              "902-p000"])


def weasel(project_dir, step, server, project):
    env = {**os.environ, "DOCCANO_USERNAME": "admin", "DOCCANO_PASSWORD": PASSWORD}
    return subprocess.run([sys.executable, "-m", "weasel", "run", step, ".", "--vars.doccano_port", str(server.port),
                           "--vars.doccano_project", project, "--vars.push_source", "gold"],
                          cwd=project_dir, env=env, capture_output=True, text=True)


def test_a_second_review_round_runs_through_the_project(server, corpus, tmp_path):
    """weasel skips a step whose deps are unchanged; push and pull talk to doccano, whose state is no
    dep it can see, so a second pull after a reviewer's edit must run and merge (no_skip)."""
    project_dir = copy_project(tmp_path / "project")
    (project_dir / "corpus/annotations/doccano_base.jsonl").unlink(missing_ok=True)  # a local sync state
    shutil.copy(corpus / "paragraphs.jsonl", project_dir / "corpus/paragraphs.jsonl")
    shutil.copy(corpus / "gold.jsonl", project_dir / "corpus/annotations/gold.jsonl")
    for step in ("push", "pull"):
        result = weasel(project_dir, step, server, "rounds")
        assert result.returncode == 0 and "Skipping" not in result.stdout, result.stdout + result.stderr
    gold = project_dir / "corpus/annotations/gold.jsonl"
    review(server, "rounds")  # the reviewer works in doccano after the first pull
    result = weasel(project_dir, "pull", server, "rounds")
    assert result.returncode == 0 and "Skipping" not in result.stdout, result.stdout + result.stderr
    spans, meta = gold_spans(project_dir / "corpus/annotations", "902-p000")
    assert spans == [("苹果", "COMPANY"), ("TPU", "COMPANY"), ("台积电", "COMPANY"), ("30亿美元", "MONEY")]
    assert meta["doccano_confirmed"] is True and gold.exists()


def said(capsys):
    """What was printed, with wasabi's line wrapping undone."""
    return " ".join(capsys.readouterr().out.split())


def all_cmdlines():
    out = []
    for proc in os.listdir("/proc"):
        if proc.isdigit():
            try:
                out.append(open(f"/proc/{proc}/cmdline", "rb").read().decode(errors="replace"))
            except OSError:
                pass
    return out


def test_no_secret_in_any_process_argument_log_or_readable_file(server, monkeypatch):
    import chip_ner.annotation.doccano_server as module

    secret_key = server.secret_key_file.read_text().strip()
    assert len(secret_key) >= 40 and "v8sk33sy82" not in secret_key  # not doccano's built-in default
    cmdlines = all_cmdlines()
    assert len(cmdlines) > 5 and any(server.executable("web") in c for c in cmdlines)
    for cmdline in cmdlines:
        assert PASSWORD not in cmdline and secret_key not in cmdline
    for path in (server.secret_key_file, server.home, server.home / "db.sqlite3"):
        assert path.stat().st_mode & 0o077 == 0, path
    for log in server.root.glob("*.log"):
        text = log.read_text(errors="replace")
        assert PASSWORD not in text and secret_key not in text, log
        assert log.stat().st_mode & 0o077 == 0, log
    argv = []  # set-up again, recording every command line it runs
    real_run = subprocess.run
    monkeypatch.setattr(module.subprocess, "run", lambda args, **kw: argv.append(list(args)) or real_run(args, **kw))
    assert server.init("admin", PASSWORD) == "unchanged"
    assert argv and not any(PASSWORD in arg or secret_key in arg for args in argv for arg in args)


def test_a_changed_admin_password_is_said_and_takes_effect(server, capsys):
    try:
        assert server.init("admin", "another-test-password") == "changed"
        assert "password of the existing user 'admin' was changed" in said(capsys)
        DoccanoAPI(server.url, "admin", "another-test-password").login()
        with pytest.raises(ChipNerError):
            api_for(server).login()
    finally:
        assert server.init("admin", PASSWORD) == "changed"
    assert server.init("admin", PASSWORD) == "unchanged"
    api_for(server).login()


def wait_listening(port, timeout=20.0):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


def test_a_port_held_by_something_else_is_refused(server, tmp_path):
    port = free_port()
    other = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
                             cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port)
        srv = DoccanoServer(root=tmp_path / "d", port=port, venv_dir=server.venv)
        assert not srv.is_up() and not srv.is_doccano()  # a 404 is not doccano
        with pytest.raises(ChipNerError) as err:
            srv.start()
        assert f"port {port} is already in use" in str(err.value) and "not doccano" in str(err.value)
        assert "--port" in str(err.value)
        assert not srv.pid_file("web").exists() and not srv.pid_file("worker").exists()
    finally:
        other.terminate()
        other.wait()
    second = DoccanoServer(root=tmp_path / "e", port=server.port, venv_dir=server.venv)  # another folder's doccano
    with pytest.raises(ChipNerError, match="another doccano server"):
        second.start()
    assert server.is_up()


def test_stale_pid_files_are_removed_and_nothing_unrelated_is_signalled(server, tmp_path, capsys):
    import json

    from chip_ner.annotation.doccano_server import process_start_time
    srv = DoccanoServer(root=tmp_path, port=free_port(), venv_dir=server.venv)
    unrelated = subprocess.Popen(["sleep", "60"], start_new_session=True)
    lookalike = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", srv.executable("worker")],
                                 start_new_session=True)  # names doccano, but is not the process start recorded
    try:
        srv.pid_file("web").write_text(str(unrelated.pid))
        srv.pid_file("worker").write_text(json.dumps({"pid": lookalike.pid,
                                                       "start": process_start_time(lookalike.pid) - 1}))
        assert srv.stop() == []
        out = said(capsys)
        assert f"stale pid file {srv.pid_file('web')}" in out and "is not this folder's doccano web" in out
        assert f"stale pid file {srv.pid_file('worker')}" in out and "pid was reused" in out
        assert unrelated.poll() is None and lookalike.poll() is None
        assert not srv.pid_file("web").exists() and not srv.pid_file("worker").exists()
    finally:
        unrelated.kill()
        lookalike.kill()
        unrelated.wait()
        lookalike.wait()


def test_a_worker_left_by_a_crashed_web_server_is_stopped_on_start(server, tmp_path, capsys):
    import signal
    srv = DoccanoServer(root=tmp_path, port=free_port(), venv_dir=server.venv)
    srv.init("admin", PASSWORD)
    try:
        srv.start(workers=1)
        old_web, old_worker = srv.read_pid("web")["pid"], srv.read_pid("worker")["pid"]
        os.killpg(old_web, signal.SIGKILL)  # the web server crashes; its worker lives on
        os.waitpid(old_web, 0)
        capsys.readouterr()
        srv.start(workers=1)
        out = said(capsys)
        assert f"stopping its task worker (pid {old_worker})" in out
        with pytest.raises(ProcessLookupError):
            os.killpg(old_worker, 0)
        assert srv.read_pid("worker")["pid"] != old_worker and srv.is_up()
    finally:
        assert set(srv.stop()) <= {"web", "worker"}
    assert not srv.pid_file("web").exists() and not srv.pid_file("worker").exists()
    assert processes_of(srv.root) == [], "doccano processes left behind"


def test_a_task_worker_that_dies_while_starting_is_started_again(server, tmp_path, capsys):
    """The worker and the web server race to create celery's queue row in sqlite; the loser exits
    at once. start notices (the process ended, not a guess from its pid) and starts it again."""
    srv = DoccanoServer(root=tmp_path, port=free_port(), venv_dir=server.venv)
    srv.init("admin", PASSWORD)
    real, calls = srv.spawn_worker, []

    def dies_the_first_time():
        calls.append(1)
        return srv.spawn("worker", [sys.executable, "-c", "raise SystemExit(1)"]) if len(calls) == 1 else real()

    srv.spawn_worker = dies_the_first_time
    capsys.readouterr()
    try:
        srv.start(workers=1)
        assert "the task worker exited while starting" in said(capsys) and len(calls) == 2 and srv.is_up()
    finally:
        srv.stop()
    assert processes_of(tmp_path) == [], "doccano processes left behind"
