"""The citizen's custody proof, on SQLite and PostgreSQL with two live witnesses: the lookup page
says how many of the dossier's steps are in the log as of a checkpoint both witnesses cosigned,
the proof it offers verifies offline (in process, with ``python -m events.export`` and with
``hoso audit verify-export``), a tampered one does not, wrong digits get no proof, and neither
the page nor the proof holds anything personal."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from events.evidence.keys import load_verifier
from events.export.proof import PROOF_FORMAT, verify_proof
from tests.hoso_cli import Hoso
from tests.witnessed import Witnessed
from tracker.domain.codes import dossier_id
from tracker.web import create_app


def digits(n: int) -> str:
    """The last four digits of the n-th dossier's applicant ID (Witnessed.record's)."""
    return f"{n:012d}"[-4:]


@pytest.fixture
def client(witnessed: Witnessed) -> FlaskClient:
    return create_app(witnessed.services, {"TESTING": True}).test_client()


def cosigned(witnessed: Witnessed) -> int:
    """GIVEN two dossiers, a checkpoint over them both witnesses cosigned, then a third dossier
    the checkpoint does not cover yet; the size of the checkpoint."""
    witnessed.record(2)
    size = witnessed.checkpoint().size
    cosigning = witnessed.services.cosigning()
    assert cosigning is not None
    cosigning.submit_all()
    assert len(witnessed.lines(size)) == 2
    witnessed.record(1)
    return size


def proof_of(client: FlaskClient, code: str, four: str, address: str = "10.1.0.1") -> Any:
    return client.get(f"/lookup/proof?code={code}&digits={four}",
                      environ_base={"REMOTE_ADDR": address})


def test_the_page_states_the_claim_and_the_proof_verifies_offline(
        witnessed: Witnessed, client: FlaskClient, tmp_path: Path) -> None:
    """WHEN the citizen looks up the first dossier with the right digits THEN the page says
    both its steps are in the log as of the checkpoint, both witnesses cosigned it, and offers
    the proof; the proof verifies with the log's public key and a quorum of both witnesses, in
    process, with python -m events.export and with hoso audit verify-export."""
    size = cosigned(witnessed)
    code = witnessed.codes[0]
    page = client.get(f"/lookup?code={code}&digits={digits(1)}&lang=en")
    assert page.status_code == 200
    assert "2 of 2" in page.text
    assert f"{size} entries, signed" in page.text
    assert "2 cosigned it" in page.text
    assert f"/lookup/proof?code={code}&amp;digits={digits(1)}" in page.text
    download = proof_of(client, code, digits(1))
    assert download.status_code == 200
    assert download.mimetype == "application/json"
    assert f'filename="hoso-proof-{code}.json"' in download.headers["Content-Disposition"]
    document = json.loads(download.text)
    assert document["format"] == PROOF_FORMAT
    assert [s["version"] for s in document["steps"]] == [1, 2]
    public = Path(witnessed.env["HOSO_AUDIT_PUBLIC_KEY"])
    witnesses = [w.verifier for w in witnessed.witnesses]
    report = verify_proof(document, load_verifier(public), witnesses, quorum=2)
    assert report.valid, report.problems
    assert (report.proven, report.steps, report.checkpoint.size) == (2, 2, size)
    saved = tmp_path / "proof.json"
    saved.write_text(download.text)
    keys = [arg for w in witnessed.witnesses for arg in ("--witness", w.verifier.to_text())]
    alone = subprocess.run([sys.executable, "-m", "events.export", str(saved), "--public-key",
                            str(public), *keys, "--quorum", "2"],
                           capture_output=True, text=True, timeout=60)
    assert alone.returncode == 0, alone.stdout + alone.stderr
    assert alone.stdout.startswith(f"VALID: 2 of {code}'s 2 steps are in the log")
    assert Hoso(witnessed.env).ok("audit", "verify-export", str(saved))["proven"] == 2


def test_steps_after_the_checkpoint_are_named_as_not_covered_yet(
        witnessed: Witnessed, client: FlaskClient) -> None:
    """WHEN the citizen looks up the dossier received after the checkpoint (as from the
    receipt's QR, at once) THEN the page says none of its steps is in a checkpoint yet and the
    proof holds them without proofs; once the log signs again and the witnesses cosign, they
    are covered."""
    cosigned(witnessed)
    code = witnessed.codes[2]
    page = client.get(f"/lookup?code={code}&digits={digits(3)}&lang=en")
    assert "0 of 2" in page.text
    assert "not in a checkpoint yet" in page.text
    document = json.loads(proof_of(client, code, digits(3)).text)
    assert [s["inclusion_proof"] for s in document["steps"]] == [None, None]
    public = load_verifier(Path(witnessed.env["HOSO_AUDIT_PUBLIC_KEY"]))
    assert verify_proof(document, public).proven == 0
    witnessed.checkpoint()
    again = f"/lookup?code={code}&digits={digits(3)}&lang=en"
    assert "0 of 2" in client.get(again, environ_base={"REMOTE_ADDR": "10.1.0.2"}).text
    cosigning = witnessed.services.cosigning()
    assert cosigning is not None
    cosigning.submit_all()  # the claim waits for the witnesses, then moves on
    assert "2 of 2" in client.get(again, environ_base={"REMOTE_ADDR": "10.1.0.2"}).text


TAMPERING = {
    "a leaf hash changed": lambda d: d["steps"][0].update(
        leaf_hash="00" * 32),
    "a proof hash changed": lambda d: d["steps"][1]["inclusion_proof"].__setitem__(
        0, "11" * 32),
    "another leaf index": lambda d: d["steps"][0].update(
        leaf_index=d["steps"][0]["leaf_index"] + 1),
    "the checkpoint's root changed": lambda d: d.update(checkpoint=d["checkpoint"].replace(
        d["checkpoint"].split("\n")[2], "A" * 43 + "=", 1)),
}


@pytest.mark.parametrize("tamper", TAMPERING.values(), ids=TAMPERING.keys())
def test_a_tampered_proof_is_refused(witnessed: Witnessed, client: FlaskClient,
                                     tamper: Any) -> None:
    cosigned(witnessed)
    document = json.loads(proof_of(client, witnessed.codes[0], digits(1)).text)
    public = load_verifier(Path(witnessed.env["HOSO_AUDIT_PUBLIC_KEY"]))
    assert verify_proof(document, public).valid
    changed = copy.deepcopy(document)
    tamper(changed)
    assert not verify_proof(changed, public).valid


def test_wrong_digits_get_no_proof_and_nothing_personal_is_shown(
        witnessed: Witnessed, client: FlaskClient) -> None:
    """WHEN the digits are wrong THEN the proof route answers as the lookup does for wrong
    digits, with no proof; with the right ones neither the page nor the proof names the
    applicant or a member of staff."""
    cosigned(witnessed)
    code = witnessed.codes[0]
    wrong = proof_of(client, code, "0000")
    looked = client.get(f"/lookup?code={code}&digits=0000",
                        environ_base={"REMOTE_ADDR": "10.1.0.1"})
    assert wrong.status_code == looked.status_code == 404
    assert PROOF_FORMAT not in wrong.text
    assert "leaf_hash" not in wrong.text
    page = client.get(f"/lookup?code={code}&digits={digits(1)}")
    proof = proof_of(client, code, digits(1)).text
    province = witnessed.custody.province()
    records = witnessed.log.recorder.select_aggregate_records(dossier_id(code))
    state = json.dumps([json.loads(r.state) for r in records], ensure_ascii=False)
    secrets = {"Người 1", f"{1:012d}", *(s.id for s in province.staff.values()),
               *(s.name for s in province.staff.values())}
    for secret in secrets:
        assert secret not in page.text, secret
        assert secret not in proof, secret
    assert "Người 1" in state  # the records do hold them: the proof carries only their hashes
