"""Who is looking: a *perfil* chosen in the header, a placeholder until real authentication.

There is no login yet. The profile lives in a cookie the user sets from a selector, and
decides which operator actions the console offers and whether full RUTs are shown. The
server checks it again on every POST, so hiding a button is never the only barrier; but a
cookie proves nothing about the person, so this must be replaced by authenticated roles
before the console is exposed beyond a trusted network.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final
from urllib.parse import unquote

from fastapi import Request
from stdnum.cl import rut as stdnum_rut

from services.supervision.decisions import Action

PROFILE_COOKIE: Final = "perfil"
USER_COOKIE: Final = "usuario"


class Profile(StrEnum):
    UNIT_HEAD = "jefe_unidad"
    FAMILY_SUPPORT = "apoyo_familiar"
    FOSIS_SUPERVISOR = "supervisor_fosis"
    PAYMENTS_OFFICER = "encargado_pagos"
    AUDITOR = "auditor"


PROFILE_LABELS: Final = {
    Profile.UNIT_HEAD: "Jefe/a de Unidad",
    Profile.FAMILY_SUPPORT: "Apoyo Familiar",
    Profile.FOSIS_SUPERVISOR: "Supervisor/a FOSIS",
    Profile.PAYMENTS_OFFICER: "Encargado/a de pagos",
    Profile.AUDITOR: "Auditor/a",
}

# Without a choice the console shows the least: read only, RUTs masked.
DEFAULT_PROFILE: Final = Profile.AUDITOR


# DOMAIN.md §2: the Jefe/a de Unidad decides abandonments and closes; an Apoyo Familiar
# may only correct a date they entered. FOSIS, payments and audit read.
ALLOWED_ACTIONS: Final[dict[Profile, frozenset[Action]]] = {
    Profile.UNIT_HEAD: frozenset(Action),
    Profile.FAMILY_SUPPORT: frozenset({Action.CORRECT_DATE}),
    Profile.FOSIS_SUPERVISOR: frozenset(),
    Profile.PAYMENTS_OFFICER: frozenset(),
    Profile.AUDITOR: frozenset(),
}

# Least privilege (Ley 19.628 / 21.719): only who works with the family or pays it.
SEES_FULL_RUT: Final = frozenset(
    {Profile.UNIT_HEAD, Profile.FAMILY_SUPPORT, Profile.PAYMENTS_OFFICER}
)


def current_profile(request: Request) -> Profile:
    value = request.cookies.get(PROFILE_COOKIE, "")
    try:
        return Profile(value)
    except ValueError:
        return DEFAULT_PROFILE


def current_user_name(request: Request) -> str:
    """The optional name typed next to the profile (percent-encoded in its cookie)."""
    return " ".join(unquote(request.cookies.get(USER_COOKIE, "")).split())[:80]


def actor(request: Request) -> str:
    """What the workflow records as `usuario`: the profile, and the name if one was given."""
    label = PROFILE_LABELS[current_profile(request)]
    name = current_user_name(request)
    return f"{name} ({label})" if name else label


def may(profile: Profile, action: Action) -> bool:
    return action in ALLOWED_ACTIONS[profile]


def masked_rut(value: str) -> str:
    """`12.345.678-5` → `12.***.***-5`: enough to tell people apart on a list, no more."""
    compact = str(stdnum_rut.compact(value)).upper()
    if len(compact) < 3:
        return "***"
    body, check = compact[:-1], compact[-1]
    head = body[:-6] if len(body) > 6 else body[:1]
    return f"{head}.***.***-{check}"


def shown_rut(profile: Profile, value: str) -> str:
    if profile in SEES_FULL_RUT:
        return str(stdnum_rut.format(value)).upper()
    return masked_rut(value)
