"""The custody rules, one guard each: who may act on a dossier, where, and in which state.

Every guard raises RuleViolation naming its rule before any event is triggered, so a refused
command leaves the aggregate and the store untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from tracker.domain.errors import N_, RuleViolation
from tracker.domain.province import Staff, wrong_role

TERMINAL_STAGES = frozenset({"returned", "cancelled", "refused"})
DECIDED_STAGES = frozenset({"resolved", "rejected"})
DECIDERS = ("official", "supervisor")
COUNTER_STAFF = ("receiver", "supervisor")


@dataclass(frozen=True)
class Transit:
    """A released dossier on its way: who carries it, from where, to where, since when."""

    carrier: str
    from_office: str
    to_office: str
    since: str


class CustodyState(Protocol):
    code: str
    stage: str
    custodian: str
    office: str | None
    transit: Transit | None
    clock_stopped: str | None
    clock_stopped_on: str | None


def not_terminal(dossier: CustodyState) -> None:
    if dossier.stage in TERMINAL_STAGES:
        raise RuleViolation(
            "terminal-final", N_("{code} is {stage}; nothing more can happen to it"),
                              code=dossier.code, stage=dossier.stage
        )


def not_in_transit(dossier: CustodyState) -> None:
    if dossier.transit is not None:
        raise RuleViolation(
            "no-processing-in-transit",
            N_("{code} is in transit with {carrier} to {to_office}; it must be accepted "
               "first"),
            code=dossier.code, carrier=dossier.transit.carrier, to_office=dossier.transit.to_office,
        )


def undecided(dossier: CustodyState) -> None:
    not_terminal(dossier)
    if dossier.stage in DECIDED_STAGES:
        raise RuleViolation(
            "decision-final", N_("{code} is already {stage}"),
                              code=dossier.code, stage=dossier.stage
        )


def has_role(actor: Staff, *roles: str) -> None:
    if actor.role not in roles:
        raise wrong_role(actor.id, actor.role, roles)


def at_dossier_office(dossier: CustodyState, actor: Staff) -> None:
    """Processing happens where the paper is: the actor works at the custodian's office."""
    if actor.office != dossier.office:
        raise RuleViolation(
            "actor-at-dossier-office",
            N_("{code} is held at {office}; {id} works at {office2}"),
            code=dossier.code, office=dossier.office, id=actor.id, office2=actor.office,
        )


def may_process(dossier: CustodyState, actor: Staff, *roles: str) -> None:
    """The common guard of every processing command."""
    not_terminal(dossier)
    not_in_transit(dossier)
    has_role(actor, *roles)
    at_dossier_office(dossier, actor)


def may_release(dossier: CustodyState, actor: Staff, carrier: Staff) -> bool:
    """Only the custodian releases; a supervisor may too, and that is an override (True)."""
    not_terminal(dossier)
    not_in_transit(dossier)
    if carrier.id == actor.id:
        raise RuleViolation("handover-to-another", N_("{id} cannot hand over to themself"),
                                                   id=actor.id)
    if actor.id == dossier.custodian:
        return False
    if actor.role == "supervisor":
        return True
    raise RuleViolation(
        "custodian-releases",
        N_("{code} is held by {custodian}; {id} may not release it"),
        code=dossier.code, custodian=dossier.custodian, id=actor.id,
    )


def may_accept(dossier: CustodyState, actor: Staff) -> Transit:
    not_terminal(dossier)
    if dossier.transit is None:
        raise RuleViolation(
            "accept-in-transit", N_("{code} is not in transit; there is nothing to accept"),
                                 code=dossier.code
        )
    if actor.office != dossier.transit.to_office:
        raise RuleViolation(
            "accept-at-destination",
            N_("{code} is bound for {to_office}; {id} works at {office}"),
            code=dossier.code, to_office=dossier.transit.to_office, id=actor.id,
            office=actor.office,
        )
    return dossier.transit


def clock_running(dossier: CustodyState) -> None:
    if dossier.clock_stopped is not None:
        raise RuleViolation(
            "clock-running",
            N_("{code} is {value}; resume it first"),
            code=dossier.code, value=dossier.clock_stopped.replace('_', ' '),
        )


def clock_stopped_for(dossier: CustodyState, reason: str) -> date:
    """The local date the clock stopped for ``reason``; refused if it is not stopped for it."""
    if dossier.clock_stopped != reason or dossier.clock_stopped_on is None:
        raise RuleViolation(
            f"only-when-{reason.replace('_', '-')}",
            N_("{code} is not {value}"), code=dossier.code, value=reason.replace('_', ' '),
        )
    return date.fromisoformat(dossier.clock_stopped_on)
