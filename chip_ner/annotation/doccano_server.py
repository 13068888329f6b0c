"""Install, start and stop a local doccano server, bound to 127.0.0.1 only.

doccano 1.8.4 needs pydantic 2-era packages of its own and clashes with the project's
environment, so it lives in its own virtual environment under `.doccano/` (ignored by git).
`doccano webserver` always binds 0.0.0.0, so the web server is started with gunicorn and
doccano's WSGI app directly, with `--bind 127.0.0.1:PORT`. The task worker (celery, with the
same sqlite database as its queue) runs beside it for the web UI's import and export.

Secrets: the admin password reaches doccano's python on standard input, never a command line;
Django's SECRET_KEY is generated once into `secret_key` (mode 0600) and passed by environment;
the data folder `home/` (the database holds the API tokens in clear) is 0700, its database and
the logs 0600. Pid files record the pid and its start time, and a pid is signalled only if it is
still the process that was started (its command line names this venv's executable).
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import requests
from wasabi import msg

from ..errors import ChipNerError, Problem

DOCCANO_REQUIREMENTS = ["doccano==1.8.4", "marshmallow<4", "numpy<2"]
PROCESSES = ("web", "worker")
EXECUTABLES = {"web": "gunicorn", "worker": "doccano"}  # what each pid's command line must name
SECRET_ENV = ("DOCCANO_PASSWORD", "DJANGO_SUPERUSER_PASSWORD", "CHIP_NER_ADMIN_PASSWORD")

# Run in doccano's venv; the password comes on standard input, never in argv or a file.
SET_ADMIN = r"""
import os, sys
sys.path.insert(0, os.path.dirname(__import__("backend").__file__))
import django
django.setup()
from django.contrib.auth import get_user_model
username, email = sys.argv[1], sys.argv[2]
password = sys.stdin.read()
User = get_user_model()
user = User.objects.filter(username=username).first()
if user is None:
    User.objects.create_superuser(username=username, email=email, password=password)
    print("created")
elif user.check_password(password):
    print("unchanged")
else:
    user.set_password(password)
    user.save()
    print("changed")
"""


@dataclass
class DoccanoServer:
    root: Path = Path(".doccano")
    port: int = 8000
    host: str = "127.0.0.1"
    venv_dir: Optional[Path] = None  # default root/venv; tests share one install between servers

    @property
    def venv(self) -> Path:
        return Path(self.venv_dir) if self.venv_dir else self.root / "venv"

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name

    @property
    def secret_key_file(self) -> Path:
        return self.root / "secret_key"

    def secret_key(self) -> str:
        """Django's SECRET_KEY for this server: generated once, kept in a 0600 file, passed by environment."""
        path = self.secret_key_file
        if not path.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(50))
        os.chmod(path, 0o600)
        return path.read_text().strip()

    def env(self) -> dict[str, str]:
        """The settings `doccano` itself would set, pointed at this project's folder (no passwords)."""
        home = self.home.resolve()
        base = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}
        return {**base, "DOCCANO_HOME": str(home), "STANDALONE": "True", "DEBUG": "False",
                "DJANGO_SETTINGS_MODULE": "config.settings.production", "SECRET_KEY": self.secret_key(),
                "DATABASE_URL": f"sqlite:///{home / 'db.sqlite3'}", "MEDIA_ROOT": str(home / "media")}

    def make_home(self) -> None:
        """The data folder (database with the API tokens, media) readable by its owner only."""
        self.home.mkdir(parents=True, exist_ok=True)
        os.chmod(self.home, 0o700)
        for path in self.home.glob("db.sqlite3*"):
            os.chmod(path, 0o600)

    def run(self, args: list[str], what: str, stdin: Optional[str] = None) -> str:
        result = subprocess.run(args, env=self.env(), capture_output=True, text=True, input=stdin, umask=0o077)
        if result.returncode != 0:
            raise ChipNerError(f"doccano: {what} failed", [Problem(args[0], (result.stderr or result.stdout)[-2000:])])
        return result.stdout

    def install(self) -> bool:
        """Create the venv and install doccano, unless it is already there; True if installed now."""
        if self.bin("doccano").exists():
            return False
        self.root.mkdir(parents=True, exist_ok=True)
        self.run([sys.executable, "-m", "venv", str(self.venv)], "creating the doccano virtual environment")
        self.run([str(self.bin("python")), "-m", "pip", "install", "--quiet", *DOCCANO_REQUIREMENTS],
                 "pip install " + " ".join(DOCCANO_REQUIREMENTS))
        return True

    def init(self, username: str, password: str, email: str = "admin@localhost") -> str:
        """Create the database, roles and the admin user; returns 'created', 'unchanged' or 'changed'.

        The password goes to doccano's python on standard input (never on a command line); a changed
        password of an existing admin is set, and said so."""
        self.make_home()
        self.run([str(self.bin("doccano")), "init"], "doccano init")
        output = self.run([str(self.bin("python")), "-c", SET_ADMIN, username, email], "setting up the admin user",
                          stdin=password)
        self.make_home()
        status = output.strip().splitlines()[-1] if output.strip() else ""
        if status == "changed":
            msg.warn(f"doccano: the password of the existing user {username!r} was changed to DOCCANO_PASSWORD")
        return status

    def backend_dir(self) -> str:
        code = "import backend, os; print(os.path.dirname(backend.__file__))"
        return self.run([str(self.bin("python")), "-c", code], "locating doccano's backend").strip()

    def pid_file(self, name: str) -> Path:
        return self.root / f"{name}.pid"

    def executable(self, name: str) -> str:
        return str(self.bin(EXECUTABLES[name]).absolute())

    def executables(self, name: str, legacy: bool = False) -> list[str]:
        """Paths a pid's command line may name; a pid file of older versions also the path as given."""
        return [self.executable(name)] + ([str(self.bin(EXECUTABLES[name]))] if legacy else [])

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        with os.fdopen(os.open(self.root / f"{name}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as log:
            process = subprocess.Popen(args, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                                       start_new_session=True, umask=0o077)
        started = process_start_time(process.pid)
        self.pid_file(name).write_text(json.dumps({"pid": process.pid, "start": started, "cmd": args[0]}) + "\n")
        return process

    def spawn_worker(self) -> subprocess.Popen:
        return self.spawn("worker", [self.executable("worker"), "task", "--concurrency", "1"])

    def check_port(self) -> None:
        """Refuse a port that something other than this doccano holds."""
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex((self.host, self.port)) != 0:
                return
        what = "another doccano server (not the one started from this folder)" if self.is_doccano() else \
            "a process that is not doccano"
        raise ChipNerError(f"doccano: port {self.port} is already in use",
                           [Problem(f"{self.host}:{self.port}", f"held by {what}")],
                           f"Stop that process, or choose another port: --port {self.port + 1} (or any free one).")

    def start(self, workers: int = 2, timeout: float = 120.0) -> str:
        """Start web server and task worker; return the URL once doccano answers.

        A web server this folder started and still running is kept; a task worker left over from a
        crashed web server is stopped first; stale pid files are removed."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.make_home()
        web, worker = self.live_pid("web"), self.live_pid("worker")
        if web is None and worker is not None:
            msg.warn(f"doccano: the web server is not running; stopping its task worker (pid {worker}) first")
            self.signal_group("worker", worker)
            worker = None
        if web is None:
            self.check_port()
            backend = self.backend_dir()
            self.spawn("web", [self.executable("web"), "--bind", f"{self.host}:{self.port}", "--workers", str(workers),
                               "--chdir", backend, "--capture-output", "config.wsgi"])
        spawned = self.spawn_worker() if worker is None else None
        deadline = time.monotonic() + timeout
        restarts = 0
        while time.monotonic() < deadline:
            if self.is_up():
                return self.url
            if self.live_pid("web", quiet=True) is None:
                break
            if spawned is not None and spawned.poll() is not None and restarts < WORKER_RESTARTS:
                # The worker and the web server both create celery's queue row in the shared sqlite
                # database on their first use; the loser of that race exits (UNIQUE constraint
                # failed: kombu_queue.name). The row exists by then, so a second start succeeds.
                restarts += 1
                msg.warn(f"doccano: the task worker exited while starting (see {self.root / 'worker.log'}); "
                         f"starting it again ({restarts} of {WORKER_RESTARTS})")
                spawned = self.spawn_worker()
            time.sleep(0.5)
        self.stop()
        raise ChipNerError("doccano: the server did not come up", [Problem(self.root / "web.log", f"no answer at {self.url} "
                                                                   f"within {timeout:.0f} s")], "Read the log named above.")

    def health(self) -> Optional[requests.Response]:
        """doccano's health check, if what answers at the URL is doccano (its JSON names doccano's checks)."""
        try:
            response = requests.get(self.url + "v1/health/", params={"format": "json"}, timeout=15)
            data = response.json()
        except (requests.RequestException, ValueError):
            return None
        if isinstance(data, dict) and "MigrationsHealthCheck" in data and "CeleryHealthCheckCelery" in data:
            return response
        return None

    def is_doccano(self) -> bool:
        return self.health() is not None

    def is_up(self) -> bool:
        response = self.health()
        return response is not None and response.status_code == 200

    def stop(self) -> list[str]:
        """Stop what `start` started (whole process groups); returns the names stopped.

        A pid is signalled only if it is still the process `start` recorded: its command line names
        this venv's executable and its start time matches. Stale pid files are removed, with a message."""
        stopped = []
        for name in PROCESSES:
            pid = self.live_pid(name)
            if pid is None:
                continue
            self.signal_group(name, pid)
            stopped.append(name)
        return stopped

    def signal_group(self, name: str, pid: int) -> None:
        try:
            os.killpg(pid, signal.SIGTERM)
            wait_for_exit(pid)
        except ProcessLookupError:
            pass
        self.pid_file(name).unlink(missing_ok=True)

    def read_pid(self, name: str) -> Optional[dict]:
        path = self.pid_file(name)
        if not path.exists():
            return None
        text = path.read_text().strip()
        try:
            record = json.loads(text)
        except ValueError:
            record = None
        if isinstance(record, int):  # an older pid file: the pid alone
            record = {"pid": record, "start": None}
        return record if isinstance(record, dict) and isinstance(record.get("pid"), int) else {"pid": None}

    def live_pid(self, name: str, quiet: bool = False) -> Optional[int]:
        """The recorded pid of `name` if it is still the doccano process started from here; else None,
        and a stale pid file is removed (with a message)."""
        record = self.read_pid(name)
        if record is None:
            return None
        pid = record.get("pid")
        reason = None
        if pid is None:
            reason = "unreadable"
        elif process_start_time(pid) is None:
            reason = f"process {pid} is not running"
        elif not any(path in process_cmdline(pid) for path in self.executables(name, legacy=record.get("start") is None)):
            reason = f"process {pid} is not this folder's doccano {name} ({EXECUTABLES[name]} in {self.venv})"
        elif record.get("start") is not None and process_start_time(pid) != record["start"]:
            reason = f"process {pid} was started after doccano's {name} (the pid was reused)"
        elif process_group(pid) != pid:
            reason = f"process {pid} does not lead its own process group"
        if reason is None:
            return pid
        if not quiet:
            msg.warn(f"doccano: removed the stale pid file {self.pid_file(name)}: {reason}; nothing was signalled")
            self.pid_file(name).unlink(missing_ok=True)
        return None


def process_cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def process_group(pid: int) -> Optional[int]:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


WORKER_RESTARTS = 3


def process_start_time(pid: int) -> Optional[int]:
    """Start time of `pid` in clock ticks after boot (/proc/PID/stat field 22), None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    if fields[0] == "Z":
        return None
    return int(fields[19])


def wait_for_exit(pid: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.waitpid(pid, os.WNOHANG)  # reap it if it is our child, so that no zombie lingers
        except ChildProcessError:
            pass
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def credentials() -> tuple[str, str]:
    """The admin's name and password, from the environment only (never from files or flags)."""
    password = os.environ.get("DOCCANO_PASSWORD")
    if not password:
        raise ChipNerError("doccano: no password", [Problem("DOCCANO_PASSWORD", "environment variable is not set")],
                           "export DOCCANO_PASSWORD=... (and DOCCANO_USERNAME, default admin)")
    return os.environ.get("DOCCANO_USERNAME", "admin"), password
