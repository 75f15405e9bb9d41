"""Witness formats byte for byte: the C2SP examples and other implementations' signatures.

The vectors and their sources are in tests/vectors/c2sp/ (SOURCE.md). What can be checked of an
example whose witness key is not published (its shape, key ID, timestamp and the message it
signs) is checked; a real public witness's cosignature of a real log's checkpoint is verified.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from events.evidence.cosignature import (
    Cosignature,
    CosignatureSigner,
    CosignatureVerifier,
    MalformedCosignature,
    add_cosignatures,
    check_quorum,
    cosignature_key_id,
    signed_message,
)
from events.evidence.notes import (
    MalformedKey,
    SignatureLine,
    Signer,
    Verifier,
    note_text,
    open_note,
    split_note,
)
from events.evidence.witness.protocol import (
    AddCheckpoint,
    MalformedRequest,
    parse_cosignature_lines,
    parse_size_body,
    size_body,
)

VECTORS = Path(__file__).parents[1] / "vectors" / "c2sp"


def vector(name: str) -> bytes:
    return (VECTORS / name).read_bytes()


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return dict(json.loads(vector("keys.json")))


# --- c2sp.org/tlog-witness: the add-checkpoint request and response ---------------------------


def test_the_specifications_request_parses_and_is_written_back_byte_for_byte() -> None:
    body = vector("tlog-witness-request.txt")
    request = AddCheckpoint.parse(body)
    assert request.old_size == 20852014
    assert [base64.b64encode(h).decode() for h in request.proof] == [
        "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=",
        "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=",
        "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=",
        "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0="]
    text, signatures = split_note(request.note)
    assert text == ("example.com/behind-the-sofa\n20852163\n"
                    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
    assert [s.name for s in signatures] == ["example.com/behind-the-sofa"] * 2
    assert request.to_bytes() == body


def test_a_request_from_size_zero_has_no_proof_lines() -> None:
    note = vector("tlog-cosignature-checkpoint.txt").decode()
    assert AddCheckpoint(0, (), note).to_bytes() == b"old 0\n\n" + note.encode()


@pytest.mark.parametrize(("body", "rule"), [
    (b"old 5\nexample\n", "empty line"),
    (b"new 5\n\nx\n1\nAA==\n\n\xe2\x80\x94 a AAAAAAA=\n", "starts with 'old"),
    (b"old 05\n\nx\n", "leading zeros"),
    (b"old -1\n\nx\n", "decimal"),
    (b"old 1\nnot-base64!\n\nx\n", "not base64"),
    (b"old 1\nAAAA\n\nx\n", "32-byte hash"),
    (b"old 1\n" + b"".join([base64.b64encode(bytes(32)) + b"\n"] * 64) + b"\nx\n", "more than 63"),
    (b"old 1\n\nno signatures\n", "not a signed note"),
    (b"old 1\n\n\xff\n", "UTF-8"),
])
def test_malformed_requests_are_refused_naming_the_rule(body: bytes, rule: str) -> None:
    with pytest.raises(MalformedRequest, match=rule):
        AddCheckpoint.parse(body)


def test_the_specifications_response_holds_three_cosignature_lines() -> None:
    lines = parse_cosignature_lines(vector("tlog-witness-response.txt"))
    assert [line.name for line in lines] == ["witness.example/w1", "witness.example/w1",
                                             "witness.example/w2"]
    assert [f"{line.key_id:08x}" for line in lines] == ["08ca7ee8", "23bac4a6", "016ba2f1"]
    assert all(len(line.signature) == 72 for line in lines)  # 8-byte timestamp + Ed25519


def test_a_conflict_answer_is_the_size_and_a_newline() -> None:
    assert size_body(20852014) == b"20852014\n"
    assert parse_size_body(b"20852014\n") == 20852014


# --- c2sp.org/tlog-cosignature: the example and the signed message -----------------------------


def test_the_specifications_cosignature_names_its_key_and_time() -> None:
    note = vector("tlog-cosignature-checkpoint.txt").decode()
    witness_line = split_note(note)[1][1]
    cosignature = Cosignature.from_line(witness_line)
    assert (cosignature.name, cosignature.key_id) == ("witness.example.com/w1", 0x8D66CF3F)
    assert cosignature.timestamp == 1679315147
    assert len(cosignature.signature) == 64
    assert cosignature.to_line() == note.splitlines(keepends=True)[-1]


def test_the_signed_message_is_the_specifications_example_byte_for_byte() -> None:
    note = vector("tlog-cosignature-checkpoint.txt").decode()
    assert signed_message(note_text(note), 1679315147) == vector("tlog-cosignature-message.txt")


def test_a_real_witness_cosignature_of_a_real_checkpoint_verifies(keys: dict[str, Any]) -> None:
    note = vector("arche2025h1-cosigned.txt").decode()
    log_key = Verifier.parse(keys["arche2025h1_log_vkey"])
    remora = CosignatureVerifier.parse(keys["remora_witness_vkey"])
    assert open_note(note, log_key) == note_text(note)  # the log's Ed25519 signature
    assert remora.key_id == 0xDA77ADE7 == cosignature_key_id(remora.name, remora.public_key)
    assert remora.to_text() == keys["remora_witness_vkey"]
    quorum = check_quorum(note, [], [remora], 1)
    assert quorum.met
    assert list(quorum.cosigned) == ["remora.n621.de+da77ade7"]
    assert quorum.cosigned["remora.n621.de+da77ade7"].timestamp == 1779573024


def test_a_real_cosignature_does_not_cover_an_altered_checkpoint(keys: dict[str, Any]) -> None:
    note = vector("arche2025h1-cosigned.txt").decode().replace("\n1432088532\n", "\n42\n", 1)
    remora = CosignatureVerifier.parse(keys["remora_witness_vkey"])
    quorum = check_quorum(note, [], [remora], 1)
    assert not quorum.met
    assert quorum.invalid == ["remora.n621.de+da77ade7"]
    assert "missing: remora.n621.de+da77ade7" in quorum.describe()


def test_the_cosignature_timestamp_vector(keys: dict[str, Any]) -> None:
    raw = base64.b64decode(keys["timestamp_signature"]["base64"])
    line = SignatureLine("w", int.from_bytes(raw[:4], "big"), raw[4:])
    assert Cosignature.from_line(line).timestamp == keys["timestamp_signature"]["timestamp"]
    plain = base64.b64decode(keys["not_a_cosignature"]["base64"])
    with pytest.raises(MalformedCosignature, match="8-byte timestamp"):
        Cosignature.from_line(SignatureLine("w", 1, plain[4:]))


def test_witness_keys_are_0x04_keys_whose_id_matches(keys: dict[str, Any]) -> None:
    with pytest.raises(MalformedKey, match="0x04"):
        CosignatureVerifier.parse(keys["ed25519_log_vkey_not_a_cosigner"])
    for bad in keys["bad_vkeys"]:
        with pytest.raises(MalformedKey):
            CosignatureVerifier.parse(bad)
    good = keys["remora_witness_vkey"]
    name, _, key = good.split("+")
    with pytest.raises(MalformedKey, match="does not match"):
        CosignatureVerifier.parse(f"{name}+00000000+{key}")


# --- hoso's own keys and cosignatures, in those formats ---------------------------------------


def test_a_signer_key_round_trips_and_derives_its_verifier() -> None:
    signer = CosignatureSigner.generate("witness.example/w9")
    text = signer.to_text()
    assert text.startswith("PRIVATE+KEY+witness.example/w9+")
    again = CosignatureSigner.parse(text)
    assert again.verifier == signer.verifier
    secret = text.split("+", 4)[4]
    seed = base64.b64decode(secret)
    assert seed[0] == 0x04
    assert len(seed) == 33
    vkey = signer.verifier.to_text()
    digest = hashlib.sha256(b"witness.example/w9\n\x04" + signer.verifier.public_key).digest()
    assert vkey.split("+")[1] == digest[:4].hex()
    assert "PRIVATE" not in repr(signer)
    assert secret not in repr(signer)


def test_a_cosignature_verifies_only_over_its_checkpoint_and_time() -> None:
    signer = CosignatureSigner.generate("witness.example/w9")
    log = Signer.generate("log.example/l")
    text = "log.example/l\n7\n" + base64.b64encode(bytes(32)).decode() + "\ntime x\n"
    note = text + "\n" + "— log.example/l " + base64.b64encode(
        log.key_id.to_bytes(4, "big") + log.sign(text.encode())).decode() + "\n"
    cosignature = signer.cosign(text, 1_800_000_000)
    cosigned = add_cosignatures(note, [cosignature.to_line()])
    assert cosigned == note + cosignature.to_line()
    assert add_cosignatures(cosigned, [cosignature.to_line()]) == cosigned
    assert check_quorum(cosigned, [], [signer.verifier], 1).met
    assert check_quorum(note, [cosignature.to_line()], [signer.verifier], 1).met
    assert not signer.verifier.verify(text.replace("\n7\n", "\n8\n"), cosignature)
    later = Cosignature(cosignature.name, cosignature.key_id, 1_800_000_001,
                        cosignature.signature)
    assert not signer.verifier.verify(text, later)
    assert open_note(cosigned, log.verifier) == text  # the log's key ignores the cosignature


def test_only_a_checkpoint_is_cosigned() -> None:
    signer = CosignatureSigner.generate("w")
    with pytest.raises(MalformedCosignature, match="checkpoint"):
        signer.cosign("two\nlines\n", 1)


def test_a_quorum_counts_each_witness_once_and_names_the_missing() -> None:
    a, b, c = (CosignatureSigner.generate(f"w{n}.example") for n in range(3))
    text = "o\n1\n" + base64.b64encode(bytes(32)).decode() + "\n"
    note = text + "\n— o " + base64.b64encode(bytes(68)).decode() + "\n"
    lines = [a.cosign(text, 1).to_line(), a.cosign(text, 2).to_line(),
             b.cosign(text, 1).to_line()]
    quorum = check_quorum(note, lines, [a.verifier, b.verifier, c.verifier], 3)
    assert sorted(quorum.cosigned) == sorted([a.verifier.label, b.verifier.label])
    assert quorum.missing == [c.verifier.label]
    assert not quorum.met
    assert check_quorum(note, lines, [a.verifier, b.verifier, c.verifier], 2).met
