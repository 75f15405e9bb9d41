"""A province's stack run natively: the long-running hoso processes under a supervisor that
restarts any that dies, as a service manager's restart policy does, and the clients of a district
day that retry with an Idempotency-Key as a courier's phone does.

The servers underneath (PostgreSQL, tansu, SeaweedFS, the witness) are the test servers of
tests/servers/; this module only adds what a province runs on top of them.
"""

from __future__ import annotations

import json
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from tests.cast import Cast
from tests.hoso_cli import Hoso
from tests.servers.hoso import free_port
from tests.servers.process import die_with_parent, log_tail, terminate
from tests.station.pages import BODY, FONT

RESTART_DELAY = 0.5
"""Seconds the supervisor waits before starting a dead service again (a restart policy's delay)."""


class Service:
    """One long-running ``hoso`` process, started again whenever it exits on its own."""

    def __init__(self, name: str, args: Sequence[str], env: dict[str, str], folder: Path,
                 port: int | None = None) -> None:
        self.name = name
        self.args = list(args)
        self.env = env
        self.port = port
        self.log = folder / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._wanted = False
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            self._wanted = True
            self._launch()

    def _launch(self) -> None:
        with self.log.open("ab") as out:
            out.write(f"\n=== start {time.strftime('%H:%M:%S')}\n".encode())
            out.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tracker.cli.main", *self.args], env=self.env,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent())

    def kill(self) -> None:
        """SIGKILL: nothing of the process's own clean-up runs. The supervisor restarts it."""
        with self._lock:
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def restart_if_dead(self) -> None:
        with self._lock:
            if self._wanted and self.process is not None and self.process.poll() is not None:
                self.restarts += 1
                self._launch()

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL after 30 s; the exit status (None if it was not running)."""
        with self._lock:
            self._wanted = False
            process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)  # a paused process cannot take SIGTERM
        terminate(process, timeout=30)
        return process.returncode

    def tail(self) -> str:
        return f"--- {self.name}:\n{log_tail(self.log, 30)}"


class Supervisor:
    """Restarts every wanted service that has exited, after ``RESTART_DELAY``."""

    def __init__(self) -> None:
        self.services: list[Service] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)

    def add(self, service: Service) -> Service:
        self.services.append(service)
        service.start()
        return service

    def start(self) -> None:
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(RESTART_DELAY):
            for service in self.services:
                service.restart_if_dead()

    def stop(self) -> None:
        """Stops watching, then stops every service at once (each SIGTERM, then SIGKILL)."""
        self._stop.set()
        self._thread.join(10)
        stopping = [threading.Thread(target=service.stop) for service in self.services]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()

    def logs(self) -> str:
        return "\n".join(service.tail() for service in self.services)


def day_tokens(hoso: Hoso, cast: Cast) -> dict[str, str]:
    """The day's API tokens: the counter's receiver, the agency's official, and the receiver's
    station token for uploads."""
    return {"receiver": hoso.ok("token", "create", "--staff", cast.receiver)["token"],
            "official": hoso.ok("token", "create", "--staff", cast.official)["token"],
            "station": hoso.ok("token", "create", "--staff", cast.receiver, "--kind",
                               "station", "--station", "st-1")["token"]}


def web_service(env: dict[str, str], folder: Path, name: str) -> Service:
    port = free_port()
    return Service(name, ["serve", "--port", str(port), "--no-relay", "--threads", "8"], env,
                   folder, port)


def small_page(code: str, path: Path) -> Path:
    """An A5 form at 150 dpi naming the dossier: a page Tesseract reads quickly."""
    page = Image.new("RGB", (874, 1240), (250, 250, 247))
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 30)
    for number, line in enumerate([f"Số hồ sơ {code}", *BODY[:2]]):
        draw.text((80, 120 + number * 60), line, font=font, fill=(15, 15, 15))
    page.save(path, dpi=(150, 150))
    return path


def wait_for(condition: Callable[[], bool], timeout: float, what: str,
             explain: Callable[[], str] = lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s\n{explain()}")
        time.sleep(0.2)


def healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


class Refused(Exception):
    """A 4xx answer: the command is wrong, and sending it again will not help."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status


def multipart(fields: dict[str, str], files: list[Path]) -> tuple[bytes, str]:
    boundary = f"hoso-{secrets.token_hex(12)}"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    for path in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
                     f'filename="{path.name}"\r\nContent-Type: image/png\r\n\r\n'.encode()
                     + path.read_bytes() + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Phone:
    """A client of the API that, like a courier's phone, sends each command with an
    Idempotency-Key and sends it again, with the same key, until it gets an answer: to the web
    process it prefers, then to the other (what a load balancer in front would do)."""

    def __init__(self, bases: list[str], token: str, timeout: float = 150) -> None:
        self.bases = bases
        self.token = token
        self.timeout = timeout
        self.retries = 0

    def post(self, path: str, body: dict[str, Any], prefer: int,
             key: str | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode()
        return self._send(path, data, "application/json", prefer,
                          {"Idempotency-Key": key or str(uuid.uuid4())})

    def upload(self, files: list[Path], dossier: str, prefer: int) -> dict[str, Any]:
        """The station's upload; a retry sends the same pages (the scan is recorded once)."""
        data, content_type = multipart({"dossier": dossier}, files)
        return self._send("/station/scans", data, content_type, prefer, {})

    def _send(self, path: str, data: bytes, content_type: str, prefer: int,
              extra: dict[str, str]) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        attempt = 0
        while True:
            base = self.bases[(prefer + attempt) % len(self.bases)]
            request = urllib.request.Request(
                f"{base}/api/v1{path}", data=data, method="POST",
                headers={"Content-Type": content_type, "Authorization": f"Bearer {self.token}",
                         **extra})
            try:
                with urllib.request.urlopen(request, timeout=120) as answer:
                    result: dict[str, Any] = json.loads(answer.read())
                    return result
            except urllib.error.HTTPError as error:
                body = error.read().decode("utf-8", "replace")
                if error.code < 500:
                    raise Refused(error.code, body) from None
                failure = f"{error.code} {body[:300]}"
            except OSError as error:  # refused, reset, timed out: the process may be gone
                failure = repr(error)
            attempt += 1
            self.retries += 1
            if time.monotonic() > deadline:
                raise AssertionError(f"POST {path}: no answer within {self.timeout:.0f} s; "
                                     f"last: {failure}")
            time.sleep(min(0.2 * attempt, 2.0))
