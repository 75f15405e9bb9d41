"""A live ``hoso serve`` over a fresh demo store, for tests that speak HTTP or HTTPS to it."""

from __future__ import annotations

import json
import os
import random
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tests.servers.process import die_with_parent, log_tail, port_free, terminate

HOSO = Path(sys.executable).with_name("hoso")


# Below Linux's ephemeral ports (32768-60999), which any outgoing connection may take as its
# own between the check and the server's bind, and clear of SeaweedFS's (20000-22700, gRPC
# +10000) and tansu's (23000-24000) ranges.
PORT_RANGE = (24000, 30000)


def free_port() -> int:
    for _ in range(200):
        port = random.randrange(*PORT_RANGE)
        if port_free(port):
            return port
    raise RuntimeError(f"no free loopback port in {PORT_RANGE}")


@contextmanager
def live_hoso(store_env: dict[str, str], folder: Path, init: bool = True,
              args: Sequence[str] = (), tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """``hoso init --demo`` (unless ``init`` is False: another server set the store up) then
    ``hoso serve`` on ``store_env`` with ``args`` added; yields the base URL on 127.0.0.1,
    ``https`` when ``tls`` is the client context that trusts the server's certificate."""
    env = {**os.environ, **store_env}
    if init:
        subprocess.run([str(HOSO), "init", "--demo"], env=env, check=True, capture_output=True)
    port = free_port()
    log = folder / f"hoso-serve-{port}.log"
    with log.open("wb") as out:
        server = subprocess.Popen([str(HOSO), "serve", "--port", str(port), *args], env=env,
                                  stdout=out, stderr=subprocess.STDOUT,
                                  preexec_fn=die_with_parent())
    base = f"{'http' if tls is None else 'https'}://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # a busy two-core machine starts it slowly
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2,
                                            context=tls) as answer:
                    json.loads(answer.read())
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"hoso serve did not start:\n{log_tail(log)}") from None
                time.sleep(0.1)
        yield base
    finally:
        terminate(server, timeout=10)
