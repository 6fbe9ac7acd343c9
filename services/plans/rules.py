"""The plan's rules as pure functions: session kinds, what counts, the minimums.

Norma Técnica (DOMAIN.md §2): at least 12 in-person sessions over the programme on the
simple trajectory (APS only), 16 on the double one (APS + ASL). Remote contact counts
only while a declared health emergency lasts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Attendance = Literal["asistio", "no_asistio", "no_ubicada"]
MINIMUM_SESSIONS = {"simple": 12, "doble": 16}


@dataclass(frozen=True)
class SessionKind:
    label: str
    counts: bool  # toward the Norma Técnica minimum, when the family attended
    remote: bool = False
    needs_asl: bool = False


SESSION_KINDS: dict[str, SessionKind] = {
    "aps_individual": SessionKind("APS individual", counts=True),
    "aps_grupal": SessionKind("APS grupal", counts=True),
    "asl": SessionKind("ASL (sociolaboral)", counts=True, needs_asl=True),
    "visita_domiciliaria": SessionKind("Visita domiciliaria", counts=True),
    "entrevista": SessionKind("Entrevista", counts=False),
    "taller": SessionKind("Taller", counts=False),
    "seguimiento_remoto": SessionKind("Seguimiento telefónico o remoto", counts=True, remote=True),
}
SessionKindCode = Literal[
    "aps_individual",
    "aps_grupal",
    "asl",
    "visita_domiciliaria",
    "entrevista",
    "taller",
    "seguimiento_remoto",
]


def trajectory(asl_adults: int) -> Literal["simple", "doble"]:
    return "doble" if asl_adults > 0 else "simple"


def counts_toward_minimum(kind: str, attendance: str, *, health_emergency: bool) -> bool:
    info = SESSION_KINDS[kind]
    if attendance != "asistio" or not info.counts:
        return False
    return not info.remote or health_emergency


def critical_indicators(
    levels: Mapping[str, int | None], critical_at: Mapping[str, int]
) -> list[str]:
    """Indicator codes whose level is at or under the indicator's critical threshold."""
    return sorted(
        code
        for code, level in levels.items()
        if level is not None and level <= critical_at.get(code, 1)
    )
