"""A command checked against the dossier as just read starts from that read, and a writer who
changed the dossier in between is still met: the command runs again on the fresh state. Both
stores."""

from __future__ import annotations

import threading
from typing import Any
from uuid import UUID

import pytest

from tests.cast import Cast
from tracker.application import CustodyApplication
from tracker.domain.codes import DossierCode
from tracker.domain.errors import RuleViolation


def received(custody: CustodyApplication, cast: Cast) -> str:
    code: str = custody.receive(office=cast.commune, procedure=cast.procedure.code,
                                applicant_name="Đỗ Văn Tâm", applicant_id="034090005678",
                                actor=cast.receiver, components=cast.components)["code"]
    return code


def test_the_command_after_the_check_reads_the_dossier_once(
        custody: CustodyApplication, cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a dossier at the commune, and every read of an aggregate counted
    code = received(custody, cast)
    reads: list[UUID] = []
    read = custody.repository.get

    def counted(aggregate_id: UUID, *args: Any, **kwargs: Any) -> Any:
        reads.append(aggregate_id)
        return read(aggregate_id, *args, **kwargs)

    monkeypatch.setattr(custody.repository, "get", counted)
    # WHEN a handover is checked against where the dossier is, then carried out
    with custody.acting_on(code) as status:
        assert status["office"] == cast.commune
        custody.hand_over(code, cast.receiver, cast.agency, courier=cast.courier)
    # THEN the dossier was read once, and the handover recorded
    assert reads.count(DossierCode.parse(code).dossier_id) == 1
    assert custody.status(code)["transit"]["to_office"] == cast.agency


def test_a_change_by_another_writer_after_the_check_is_met_on_a_fresh_read(
        custody: CustodyApplication, cast: Cast) -> None:
    # GIVEN a dossier checked while at the commune
    code = received(custody, cast)
    with custody.acting_on(code) as status:
        assert status["transit"] is None
        # WHEN another counter hands it over before this command runs (another thread: its
        # own context, so it reads for itself)
        other = threading.Thread(target=custody.hand_over, args=(code, cast.receiver,
                                                                 cast.agency),
                                 kwargs={"courier": cast.courier})
        other.start()
        other.join()
        # THEN this command's rules meet the dossier as it is now (in transit), not as read
        with pytest.raises(RuleViolation):
            custody.hand_over(code, cast.receiver, cast.agency, courier=cast.courier)
    handovers = [row for row in custody.history(code) if row["type"] == "HandedOver"]
    assert len(handovers) == 1
