"""The people and places a scenario needs, picked from the loaded province by their roles."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.domain.province import Procedure, Province


@dataclass(frozen=True)
class Cast:
    commune: str          # a commune one-stop shop that receives dossiers
    receiver: str         # a receiver there
    courier: str          # a courier
    procedure: Procedure  # a procedure with at least one required component
    agency: str           # the office that resolves it
    official: str         # an official there
    stranger: str         # an official at another office
    supervisor: str
    inspector: str

    @property
    def components(self) -> list[str]:
        return list(self.procedure.required_components)


def cast_from(province: Province) -> Cast:
    def first(role: str, office: str | None = None, not_office: str | None = None) -> str:
        return next(s.id for s in province.staff.values()
                    if s.role == role and office in (None, s.office) and s.office != not_office)

    commune = next(o.code for o in province.offices.values()
                   if o.level == "commune" and o.kind == "one_stop"
                   and any(s.role == "receiver" and s.office == o.code
                           for s in province.staff.values()))
    procedure = next(p for p in province.procedures.values()
                     if p.required_components and any(
                         s.role == "official" and s.office == p.resolving_office
                         for s in province.staff.values()))
    return Cast(
        commune=commune,
        receiver=first("receiver", commune),
        courier=first("courier"),
        procedure=procedure,
        agency=procedure.resolving_office,
        official=first("official", procedure.resolving_office),
        stranger=first("official", not_office=procedure.resolving_office),
        supervisor=first("supervisor"),
        inspector=first("inspector"),
    )
