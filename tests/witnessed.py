"""A log with an audit key and two live witnesses (a quorum of 2), for the witness drills."""

from __future__ import annotations

from dataclasses import dataclass, field

from events.evidence.log import TamperEvidentLog
from events.evidence.notes import Checkpoint, Signer
from events.evidence.witness.state import WitnessState
from tests.cast import cast_from
from tests.conftest import ManualClock
from tests.servers.witness import LiveWitness
from tracker.application import CustodyApplication
from tracker.bootstrap import Services

ORIGIN = "hoso/custody-log"


@dataclass
class Witnessed:
    """A log with an audit key, two live witnesses and a quorum of 2."""

    services: Services
    custody: CustodyApplication
    signer: Signer
    witnesses: list[LiveWitness]
    env: dict[str, str]
    clock: ManualClock
    codes: list[str] = field(default_factory=list)

    @property
    def log(self) -> TamperEvidentLog:
        return self.services.tamper_evident_log()

    def record(self, dossiers: int) -> None:
        """New dossiers received and handed over: two events each."""
        c = cast_from(self.custody.province())
        for _ in range(dossiers):
            n = len(self.codes) + 1
            code = self.custody.receive(
                office=c.commune, procedure=c.procedure.code, applicant_name=f"Người {n}",
                applicant_id=f"{n:012d}", actor=c.receiver, components=c.components)["code"]
            self.codes.append(code)
            self.clock.advance(minutes=1)
            self.custody.hand_over(code, c.receiver, c.agency, courier=c.courier)

    def checkpoint(self) -> Checkpoint:
        self.clock.advance(seconds=1)
        made, _ = self.log.checkpoint(self.signer, self.clock())
        return made

    def lines(self, size: int) -> list[str]:
        return self.services.cosignature_store().lines_for(size)

    def held(self, witness: LiveWitness) -> int:
        state = WitnessState(witness.state, witness.verifier.label)
        assert state.load()
        return state.head(ORIGIN).size
