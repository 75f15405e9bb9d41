"""Live ``hoso witness serve`` processes on loopback, each with its own key, state and port.

A witness can be killed (SIGKILL: nothing flushed on the way out) and started again on the same
state file and port, paused (SIGSTOP: it still accepts connections and never answers, the worst
kind of unreachable) and resumed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from events.evidence.cosignature import CosignatureVerifier
from events.evidence.witness.keys import generate_witness_keys, load_witness_verifier
from tests.servers.hoso import free_port
from tests.servers.process import die_with_parent, log_tail, terminate

HOSO = Path(sys.executable).with_name("hoso")


class LiveWitness:
    """One witness process for one log; ``start`` it, then ``url`` and ``verifier`` name it."""

    def __init__(self, folder: Path, name: str, log_origin: str, log_key: Path) -> None:
        self.folder = folder
        self.name = name
        self.log_origin = log_origin
        self.log_keys = [log_key]  # the log's keys the witness accepts (replace to rotate)
        self.port = free_port()
        key, public = generate_witness_keys(folder / "keys", name)
        self.key = key
        self.verifier: CosignatureVerifier = load_witness_verifier(public)
        self.state = folder / "state.json"
        self.evidence = folder / "evidence"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = folder / "witness.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def setting(self) -> str:
        """This witness's entry in HOSO_WITNESSES."""
        return f"{self.name}={self.url}={self.verifier.to_text()}"

    def start(self) -> LiveWitness:
        """Start the process and wait until it says it listens on its port: a port answering
        is not enough, since another process may hold it."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOSO_")}
        logged = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(HOSO), "witness", "serve", "--port", str(self.port), "--key", str(self.key),
                 "--state", str(self.state), "--log-origin", self.log_origin,
                 *(arg for key in self.log_keys for arg in ("--log-key", str(key))),
                 "--evidence", str(self.evidence)],
                env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=die_with_parent())
        deadline = time.monotonic() + 30
        while True:
            with self.log.open("rb") as written:  # logged once its socket listens
                written.seek(logged)
                if f"on {self.url};".encode() in written.read():
                    return self
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"hoso witness serve did not start:\n{log_tail(self.log)}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL and wait: the state file is all that survives."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None:
            self.resume()
            terminate(self.process, timeout=10)
            self.process = None

    def evidence_files(self) -> list[Path]:
        return sorted(self.evidence.glob("*.request")) if self.evidence.is_dir() else []
