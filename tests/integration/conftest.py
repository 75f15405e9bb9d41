"""Fixtures the integration tests share: a log witnessed by two live witnesses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from events.evidence.keys import generate_keypair, load_signer
from tests.conftest import ManualClock
from tests.servers.witness import LiveWitness
from tests.witnessed import ORIGIN, Witnessed
from tracker.bootstrap import compose
from tracker.settings import Settings


@pytest.fixture
def witnessed(store_env: dict[str, str], tmp_path: Path, clock: ManualClock,
              demo_document: dict) -> Iterator[Witnessed]:
    private, public = generate_keypair(tmp_path / "keys")
    witnesses = [LiveWitness(tmp_path / f"w{n}", f"w{n}.hoso.example/witness", ORIGIN, public)
                 for n in (1, 2)]
    for witness in witnesses:
        witness.start()
    env = {**store_env, "HOSO_AUDIT_KEY": str(private), "HOSO_AUDIT_PUBLIC_KEY": str(public),
           "HOSO_WITNESSES": ",".join(w.setting for w in witnesses), "HOSO_WITNESS_QUORUM": "2"}
    wired = compose(Settings.from_environ(env), clock=clock)
    custody = wired.application()
    custody.load_province(demo_document)
    try:
        yield Witnessed(wired, custody, load_signer(private), witnesses, env, clock)
    finally:
        cosigning = wired.cosigning()
        if cosigning is not None:
            cosigning.close()
        wired.close()
        for witness in witnesses:
            witness.stop()
