"""The README's run command serves the pages and the API on the embedded defaults (SQLite, no
Kafka): the printed demo password signs in, the API answers whoever holds a token."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.hoso_cli import Hoso

ROOT = Path(__file__).parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def get_json(url: str, token: str | None = None) -> object:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                timeout=5) as response:
        return json.load(response)


def test_run_script_initialises_and_serves_on_loopback(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSO_")}
    env |= {"HOSO_DATA_DIR": str(tmp_path / "var"), "HOSO_PORT": str(port)}
    printed = tmp_path / "run.out"  # a file, not a pipe: no read can wait on the server
    with printed.open("wb") as out:
        server = subprocess.Popen(["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = get_json(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                assert server.poll() is None, printed.read_text()
                assert time.monotonic() < deadline, "the service did not come up in 60 s"
                time.sleep(0.2)
        assert health == {"status": "ok", "position": health["position"]}  # type: ignore[index]
        with pytest.raises(urllib.error.HTTPError, match="401"):
            get_json(f"http://127.0.0.1:{port}/api/v1/offices")
        made = Hoso({"HOSO_DATA_DIR": env["HOSO_DATA_DIR"]}).ok(
            "token", "create", "--staff", "hnm-rcv-001")
        offices = get_json(f"http://127.0.0.1:{port}/api/v1/offices", made["token"])
        assert isinstance(offices, list)
        assert len(offices) >= 20
        assert (tmp_path / "var" / "hoso.sqlite").exists()
        signs_in_with_the_printed_password(printed.read_text(), f"http://127.0.0.1:{port}")
        assert (tmp_path / "var" / "keys" / "audit.key").exists()
        verified = Hoso({"HOSO_DATA_DIR": env["HOSO_DATA_DIR"]}).ok("audit", "verify")
        assert verified["newest_checkpoint"] is not None
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    said = printed.read_text()
    assert "\"message\": \"signing checkpoints within 10 s of every commit" in said  # JSON log
    assert "HOSO_AUDIT_KEY" not in said


def signs_in_with_the_printed_password(said: str, base: str) -> None:
    """What a newcomer does: read the password the command printed (before the server
    started), open the address, sign in as the demo receiver, and see the home page."""
    password = next((line.split()[-1] for line in said.splitlines()
                     if line.strip().startswith("password")), None)
    assert password, f"the run command printed no password:\n{said}"
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    with browser.open(f"{base}/", timeout=5) as page:  # sent on to the sign-in page
        assert page.url == f"{base}/sign-in?next=/"
        form = page.read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, form
    fields = {"staff": "hnm-rcv-001", "password": password, "csrf_token": token.group(1)}
    with browser.open(f"{base}/sign-in", data=urllib.parse.urlencode(fields).encode(),
                      timeout=10) as home:
        assert home.url == f"{base}/"
        assert "Xin chào" in home.read().decode()
