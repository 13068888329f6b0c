"""Install, start and stop a local doccano server, bound to 127.0.0.1 only.

doccano 1.8.4 needs pydantic 2-era packages of its own and clashes with the project's
environment, so it lives in its own virtual environment under `.doccano/` (ignored by git).
`doccano webserver` always binds 0.0.0.0, so the web server is started with gunicorn and
doccano's WSGI app directly, with `--bind 127.0.0.1:PORT`. The task worker (celery, with the
same sqlite database as its queue) runs beside it for the web UI's import and export.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import requests

from ..errors import ChipNerError, Problem

DOCCANO_REQUIREMENTS = ["doccano==1.8.4", "marshmallow<4", "numpy<2"]
PROCESSES = ("web", "worker")


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

    def env(self) -> dict[str, str]:
        """The settings `doccano` itself would set, pointed at this project's folder."""
        home = self.home.resolve()
        return {**os.environ, "DOCCANO_HOME": str(home), "STANDALONE": "True", "DEBUG": "False",
                "DJANGO_SETTINGS_MODULE": "config.settings.production",
                "DATABASE_URL": f"sqlite:///{home / 'db.sqlite3'}", "MEDIA_ROOT": str(home / "media")}

    def run(self, args: list[str], what: str) -> str:
        result = subprocess.run(args, env=self.env(), capture_output=True, text=True)
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

    def init(self, username: str, password: str, email: str = "admin@localhost") -> None:
        """Create the database, roles and the admin user (an existing admin is kept)."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.run([str(self.bin("doccano")), "init"], "doccano init")
        try:
            self.run([str(self.bin("doccano")), "createuser", "--username", username, "--password", password,
                      "--email", email], "creating the admin user")
        except ChipNerError as err:
            if "already" not in str(err).lower() and "unique" not in str(err).lower():
                raise

    def backend_dir(self) -> str:
        code = "import backend, os; print(os.path.dirname(backend.__file__))"
        return self.run([str(self.bin("python")), "-c", code], "locating doccano's backend").strip()

    def pid_file(self, name: str) -> Path:
        return self.root / f"{name}.pid"

    def spawn(self, name: str, args: list[str]) -> None:
        log = open(self.root / f"{name}.log", "ab")
        process = subprocess.Popen(args, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.pid_file(name).write_text(str(process.pid))

    def start(self, workers: int = 2, timeout: float = 120.0) -> str:
        """Start web server and task worker; return the URL once the server answers."""
        if self.is_up():
            return self.url
        backend = self.backend_dir()
        self.spawn("web", [str(self.bin("gunicorn")), "--bind", f"{self.host}:{self.port}", "--workers", str(workers),
                           "--chdir", backend, "--capture-output", "config.wsgi"])
        self.spawn("worker", [str(self.bin("doccano")), "task", "--concurrency", "1"])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.is_up():
                return self.url
            time.sleep(0.5)
        self.stop()
        raise ChipNerError("doccano: the server did not come up", [Problem(self.root / "web.log", f"no answer at {self.url} "
                                                                   f"within {timeout:.0f} s")], "Read the log named above.")

    def is_up(self) -> bool:
        try:
            return requests.get(self.url + "v1/health/", timeout=2).status_code < 500
        except requests.RequestException:
            return False

    def stop(self) -> list[str]:
        """Stop what `start` started (whole process groups); returns the names stopped."""
        stopped = []
        for name in PROCESSES:
            pid = self.read_pid(name)
            if pid is None:
                continue
            try:
                os.killpg(pid, signal.SIGTERM)
                wait_for_exit(pid)
                stopped.append(name)
            except ProcessLookupError:
                pass
            self.pid_file(name).unlink(missing_ok=True)
        return stopped

    def read_pid(self, name: str) -> Optional[int]:
        path = self.pid_file(name)
        return int(path.read_text()) if path.exists() else None


def wait_for_exit(pid: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(pid, signal.SIGKILL)


def credentials() -> tuple[str, str]:
    """The admin's name and password, from the environment only (never from files or flags)."""
    password = os.environ.get("DOCCANO_PASSWORD")
    if not password:
        raise ChipNerError("doccano: no password", [Problem("DOCCANO_PASSWORD", "environment variable is not set")],
                           "export DOCCANO_PASSWORD=... (and DOCCANO_USERNAME, default admin)")
    return os.environ.get("DOCCANO_USERNAME", "admin"), password
