"""Signed notes and checkpoints: the published Go vectors, tampering, and strict parsing.

The PeterNeumann / EnochRoot keys and notes are the examples published with Go's
golang.org/x/mod/sumdb/note (package documentation and note_test.go); they are reproduced here
byte for byte so hoso's notes stay readable by any C2SP signed-note implementation.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from events.evidence.notes import (
    Checkpoint,
    InvalidSignature,
    MalformedCheckpoint,
    MalformedKey,
    MalformedNote,
    NoteError,
    Signer,
    UnverifiedNote,
    Verifier,
    key_id,
    note_text,
    open_checkpoint,
    open_note,
    sign_checkpoint,
    sign_note,
)

PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdng"
    "otpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWL"
    "ox33WWd1RvMc+QQ=\n"
)
PETER_NOTE = TEXT + "\n" + PETER_SIG

ROOT = hashlib.sha256(b"root").digest()
WHEN = datetime(2026, 11, 23, 20, 0, 0, tzinfo=UTC)
CHECKPOINT = Checkpoint("hoso.example/tinh-a", 1234, ROOT, WHEN)
CHECKPOINT_TEXT = (
    "hoso.example/tinh-a\n1234\n"
    + "SBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I=\n"
    + "time 2026-11-23T20:00:00Z\n"
)


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer.generate("hoso-audit")


# --- the published vectors -------------------------------------------------------------------


def test_key_id_of_the_published_key_is_c74f20a3() -> None:
    verifier = Verifier.parse(PETER_VKEY)
    assert key_id("PeterNeumann", verifier.public_key) == 0xC74F20A3
    assert verifier.key_id == 0xC74F20A3
    assert verifier.to_text() == PETER_VKEY


def test_published_signer_key_derives_the_published_verifier_key() -> None:
    signer = Signer.parse(PETER_SKEY)
    assert signer.verifier == Verifier.parse(PETER_VKEY)
    assert signer.verifier.to_text() == PETER_VKEY
    assert signer.to_text() == PETER_SKEY


def test_signing_the_published_text_reproduces_the_published_note() -> None:
    # Ed25519 is deterministic: the same key and text give Go's exact bytes
    assert sign_note(TEXT, Signer.parse(PETER_SKEY)) == PETER_NOTE


def test_the_published_note_opens_with_the_published_verifier_key() -> None:
    assert open_note(PETER_NOTE, Verifier.parse(PETER_VKEY)) == TEXT
    assert open_note(PETER_NOTE.encode("utf-8"), Verifier.parse(PETER_VKEY)) == TEXT


def test_a_doubly_signed_note_opens_with_either_key_ignoring_the_other() -> None:
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(note, Verifier.parse(PETER_VKEY)) == TEXT
    assert open_note(note, Verifier.parse(ENOCH_VKEY)) == TEXT


def test_a_note_with_no_signature_by_the_key_is_unverified(signer: Signer) -> None:
    with pytest.raises(UnverifiedNote, match="no signature by hoso-audit"):
        open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, signer.verifier)


def test_a_corrupted_signature_by_the_known_key_rejects_the_note() -> None:
    # Go's note_test inserts "ABCD" into the base64 of the signature
    corrupted = TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(InvalidSignature, match="PeterNeumann\\+c74f20a3"):
        open_note(corrupted, Verifier.parse(PETER_VKEY))


def test_the_first_signature_by_the_key_decides() -> None:
    corrupted = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    peter = Verifier.parse(PETER_VKEY)
    assert open_note(TEXT + "\n" + PETER_SIG + corrupted, peter) == TEXT
    with pytest.raises(InvalidSignature):
        open_note(TEXT + "\n" + corrupted + PETER_SIG, peter)


@pytest.mark.parametrize("message", [
    TEXT,
    TEXT + "\n",
    TEXT + "\n" + PETER_SIG[:-1],
    "\x01" + TEXT + "\n" + PETER_SIG,
    TEXT + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfq"
    "dngotpRZb6KE6RyyBwJnAM=",
    TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
    TEXT + "\n" + PETER_SIG.replace("— ", "-- "),
    TEXT + "\n" + PETER_SIG.replace("—", "–"),  # en dash
    TEXT + "\r\n" + PETER_SIG,
    TEXT + "\n" + PETER_SIG * 101,
])
def test_malformed_notes_from_go_note_test_are_refused(message: str) -> None:
    with pytest.raises(MalformedNote):
        open_note(message, Verifier.parse(PETER_VKEY))


def test_a_note_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(MalformedNote, match="UTF-8"):
        open_note(b"\xff" + PETER_NOTE.encode("utf-8"), Verifier.parse(PETER_VKEY))


def test_a_signature_sharing_only_the_name_or_only_the_key_id_is_ignored(signer: Signer) -> None:
    other = Signer.generate(signer.name)  # same name, another key ID
    renamed = sign_note(TEXT, signer).replace("— hoso-audit ", "— another-log ")
    note = renamed + sign_note(TEXT, other).split("\n\n")[-1]
    with pytest.raises(UnverifiedNote):
        open_note(note, signer.verifier)


@pytest.mark.parametrize("mangle", ["substring", "increment"])
def test_every_mangling_of_the_published_keys_is_refused(mangle: str) -> None:
    # ported from Go's TestNewVerifier / TestNewSigner
    for key, parse in ((PETER_VKEY, Verifier.parse), (PETER_SKEY, Signer.parse)):
        if mangle == "substring":
            variants = [key[i:j] for i in range(len(key) + 1) for j in range(i + 1, len(key) + 1)
                        if (i, j) != (0, len(key))]
        else:
            variants = [key[:i] + chr(ord(key[i]) + 1) + key[i + 1:] for i in range(len(key))]
        for variant in variants:
            with pytest.raises(MalformedKey):
                parse(variant)


@pytest.mark.parametrize("key", [
    "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",  # wrong length
    "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # unknown algorithm
    "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    "PeterNeumann+0xc74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
])
def test_bad_verifier_keys_from_go_note_test_are_refused(key: str) -> None:
    with pytest.raises(MalformedKey):
        Verifier.parse(key)


def test_an_uppercase_key_id_is_accepted_as_go_does() -> None:
    assert Verifier.parse(PETER_VKEY.replace("c74f20a3", "C74F20A3")).key_id == 0xC74F20A3


def test_a_signer_never_shows_its_secret(signer: Signer) -> None:
    # PRIVATE+KEY+name+keyid+base64: the base64 itself may contain "+", so split from the left
    secret = signer.to_text().split("+", 4)[4]
    assert len(secret) > 40
    assert secret not in repr(signer)
    with pytest.raises(MalformedKey) as refused:
        Signer.parse(PETER_SKEY.replace("+c74f20a3+", "+c74f20a4+"))
    assert "AYEKFALV" not in str(refused.value)


# --- signing and opening with hoso's own keys ------------------------------------------------


def test_sign_and_open_round_trip(signer: Signer) -> None:
    text = "hồ sơ 000.00.12.H40-231115-0007\n\nhanded over\n"
    note = sign_note(text, signer)
    assert note.startswith(text + "\n— hoso-audit ")
    assert open_note(note, signer.verifier) == text
    assert note_text(note) == text


@pytest.mark.parametrize(("text", "problem"), [
    ("no final newline", "must end with a newline"),
    ("tab\there\n", "control characters"),
    ("carriage\r\n", "control characters"),
    ("lone \udc80 surrogate\n", "UTF-8"),
])
def test_texts_that_could_not_be_opened_are_not_signed(
        signer: Signer, text: str, problem: str) -> None:
    with pytest.raises(MalformedNote, match=problem):
        sign_note(text, signer)


def test_a_note_signed_by_another_key_is_rejected(signer: Signer) -> None:
    impostor = Signer.generate(signer.name)
    with pytest.raises(UnverifiedNote):
        open_checkpoint(sign_checkpoint(CHECKPOINT, impostor), signer.verifier)


def test_another_keys_signature_under_this_key_id_is_invalid(signer: Signer) -> None:
    impostor = Signer.generate(signer.name)
    forged = sign_checkpoint(CHECKPOINT, impostor)
    text, line = forged.split("\n\n")
    raw = base64.b64decode(line.split(" ")[2])
    claimed = signer.key_id.to_bytes(4, "big") + raw[4:]
    forged = f"{text}\n\n— {signer.name} {base64.b64encode(claimed).decode()}\n"
    with pytest.raises(InvalidSignature):
        open_checkpoint(forged, signer.verifier)


def test_every_single_byte_change_to_a_signed_checkpoint_is_rejected(signer: Signer) -> None:
    note = sign_checkpoint(CHECKPOINT, signer).encode("utf-8")
    for index in range(len(note)):
        for flip in (0x01, 0x20, 0x80):
            tampered = bytearray(note)
            tampered[index] ^= flip
            with pytest.raises(NoteError):
                open_checkpoint(bytes(tampered), signer.verifier)


@pytest.mark.parametrize("changed", [
    Checkpoint(CHECKPOINT.origin, 1235, ROOT, WHEN),
    Checkpoint(CHECKPOINT.origin, 1234, hashlib.sha256(b"other").digest(), WHEN),
    Checkpoint(CHECKPOINT.origin, 1234, ROOT, WHEN + timedelta(seconds=1)),
    Checkpoint("hoso.example/tinh-b", 1234, ROOT, WHEN),
], ids=["size", "root", "time", "origin"])
def test_a_signature_does_not_carry_over_to_a_changed_checkpoint(
        signer: Signer, changed: Checkpoint) -> None:
    signature_line = sign_checkpoint(CHECKPOINT, signer).split("\n\n")[1]
    with pytest.raises(InvalidSignature):
        open_checkpoint(changed.to_text() + "\n" + signature_line, signer.verifier)


def test_open_checkpoint_checks_the_origin_when_asked(signer: Signer) -> None:
    note = sign_checkpoint(CHECKPOINT, signer)
    assert open_checkpoint(note, signer.verifier, origin="hoso.example/tinh-a") == CHECKPOINT
    with pytest.raises(UnverifiedNote, match=r"not 'hoso\.example/tinh-b'"):
        open_checkpoint(note, signer.verifier, origin="hoso.example/tinh-b")


# --- checkpoint text -------------------------------------------------------------------------


def test_checkpoint_text_is_origin_size_root_and_time() -> None:
    assert CHECKPOINT.to_text() == CHECKPOINT_TEXT
    assert Checkpoint.parse(CHECKPOINT_TEXT) == CHECKPOINT


def test_checkpoint_round_trips_an_empty_tree() -> None:
    empty = Checkpoint("hoso", 0, hashlib.sha256(b"").digest(), WHEN)
    assert empty.to_text().split("\n")[1] == "0"
    assert Checkpoint.parse(empty.to_text()) == empty


def test_checkpoint_time_is_kept_in_utc_whole_seconds() -> None:
    hanoi = timezone(timedelta(hours=7))
    local = datetime(2026, 11, 24, 3, 0, 0, 987654, tzinfo=hanoi)
    assert Checkpoint("hoso", 1, ROOT, local) == Checkpoint("hoso", 1, ROOT, WHEN)
    assert "time 2026-11-23T20:00:00Z\n" in Checkpoint("hoso", 1, ROOT, local).to_text()


def _replace_line(index: int, value: str) -> str:
    lines = CHECKPOINT_TEXT.split("\n")
    lines[index] = value
    return "\n".join(lines)


@pytest.mark.parametrize(("text", "problem"), [
    (CHECKPOINT_TEXT[:-1], "ends with a newline"),
    ("hoso\n1\n", "an origin, a tree size and a root hash"),
    (_replace_line(0, ""), "origin line is empty"),
    (_replace_line(1, "01234"), "without leading zeros"),
    (_replace_line(1, "+1234"), "without leading zeros"),
    (_replace_line(1, "-1"), "without leading zeros"),
    (_replace_line(1, " 1234"), "without leading zeros"),
    (_replace_line(1, "١٢٣٤"), "without leading zeros"),  # Arabic-Indic digits
    (_replace_line(1, "1_234"), "without leading zeros"),
    (_replace_line(1, ""), "without leading zeros"),
    (_replace_line(1, str(2**64)), "outside 0..2\\*\\*64-1"),
    (_replace_line(2, base64.b64encode(ROOT[:31]).decode()), "32 bytes"),
    (_replace_line(2, base64.b64encode(ROOT + b"\0").decode()), "32 bytes"),
    (_replace_line(2, "SBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7J="), "canonical"),  # same bytes
    (_replace_line(2, "SBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I"), "base64"),
    (_replace_line(2, "SBNJTRN-FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I="), "base64"),  # URL alphabet
    (_replace_line(2, " SBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I="), "base64"),
    (_replace_line(3, "time 2026-11-23T20:00:00+00:00"), "YYYY-MM-DDTHH:MM:SSZ"),
    (_replace_line(3, "time 2026-11-23T20:00:00.5Z"), "YYYY-MM-DDTHH:MM:SSZ"),
    (_replace_line(3, "time 2026-11-23 20:00:00Z"), "YYYY-MM-DDTHH:MM:SSZ"),
    (_replace_line(3, "time 2026-02-30T20:00:00Z"), "no real moment"),
    (_replace_line(3, "when 2026-11-23T20:00:00Z"), "exactly one extension line"),
    ("hoso\n1\nSBNJTRN+FjG7owHVrKtue7eqdM4RhdRWVl71HXN2d7I=\n", "exactly one extension line"),
    (CHECKPOINT_TEXT + "extra\n", "exactly one extension line"),
    (CHECKPOINT_TEXT + "\n", "exactly one extension line"),
])
def test_checkpoint_parsing_is_strict(text: str, problem: str) -> None:
    with pytest.raises(MalformedCheckpoint, match=problem):
        Checkpoint.parse(text)


@pytest.mark.parametrize(("fields", "problem"), [
    (("", 1, ROOT, WHEN), "origin"),
    (("two\nlines", 1, ROOT, WHEN), "origin"),
    (("hoso", -1, ROOT, WHEN), "outside"),
    (("hoso", True, ROOT, WHEN), "integer"),
    (("hoso", 1, ROOT[:31], WHEN), "32 bytes"),
    (("hoso", 1, ROOT, datetime(2026, 11, 23, 20, 0, 0)), "timezone-aware"),
])
def test_checkpoint_fields_are_validated(fields: tuple[Any, ...], problem: str) -> None:
    with pytest.raises(MalformedCheckpoint, match=problem):
        Checkpoint(*fields)


def test_fingerprint_is_the_first_16_hex_digits_of_the_body_hash_grouped() -> None:
    digest = hashlib.sha256(CHECKPOINT_TEXT.encode()).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{4}( [0-9a-f]{4}){3}", CHECKPOINT.fingerprint)
    assert CHECKPOINT.fingerprint.replace(" ", "") == digest[:16]
    assert Checkpoint("hoso.example/tinh-a", 1235, ROOT, WHEN).fingerprint != CHECKPOINT.fingerprint
