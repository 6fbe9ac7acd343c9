"""`/v1/estadisticas`: counts of intake's facts for reports. Only numbers, never a person.

Every figure is one SQL aggregate (COUNT … FILTER, GROUP BY) over the facts' own dates:
a family counts in a year's stage when the fact happened that year. The comuna is the
family's current one (a moved family counts where it is now).
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from sqlalchemy import ColumnElement, and_, func, or_, select

from services.intake.models import ContactAttempt, Family, Member
from shared.contracts.intake import ExitCause
from shared.errors import ValidationFailed
from shared.http.deps import Runtime, Session

router = APIRouter(prefix="/v1/estadisticas", tags=["estadísticas"])

EXIT_CAUSES: tuple[ExitCause, ...] = (
    "cumplimiento", "abandono", "renuncia", "fallecimiento", "traslado", "no_localizada", "rechaza",
)  # fmt: skip
CHANNELS = ("visita", "telefono", "otro")
CONTACT_RESULTS = ("localizada", "no_localizada")
# Policy default (DOMAIN.md §2, workflows' Policy.contact_deadline_days): days to locate.
CONTACT_DEADLINE_DAYS = 30

Year = Annotated[int, Query(ge=2000, le=2100, description="Año del informe")]
Month = Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="Mes del informe, AAAA-MM")]
Comuna = Annotated[str | None, Query(max_length=80, description="Solo esta comuna")]


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of `AAAA-MM`."""
    year, number = int(month[:4]), int(month[5:7])
    if not (2000 <= year <= 2100 and 1 <= number <= 12):
        raise ValidationFailed("Mes no válido: use AAAA-MM, entre 2000 y 2100")
    return date(year, number, 1), date(year, number, monthrange(year, number)[1])


def _between(column: Any, first: date, last: date) -> ColumnElement[bool]:
    return and_(column >= first, column <= last)


def _comuna(comuna: str | None) -> list[ColumnElement[bool]]:
    return [Family.comuna == " ".join(comuna.split())] if comuna else []


async def _exits(db: Session, first: date, last: date, comuna: str | None) -> dict[str, int]:
    rows = await db.execute(
        select(Family.exit_cause, func.count())
        .where(_between(Family.exited_on, first, last), *_comuna(comuna))
        .group_by(Family.exit_cause)
    )
    found = {str(cause): int(count) for cause, count in rows}
    return {cause: found.get(cause, 0) for cause in EXIT_CAUSES} | found


@router.get("", summary="Etapas, cobertura, contactos y egresos de un año (solo conteos)")
async def yearly(db: Session, anio: Year, comuna: Comuna = None) -> dict[str, Any]:
    first, last = date(anio, 1, 1), date(anio, 12, 31)
    stages = (
        await db.execute(
            select(
                func.count().filter(_between(Family.referred_on, first, last)),
                func.count().filter(_between(Family.located_on, first, last)),
                func.count().filter(_between(Family.invited_on, first, last)),
                func.count().filter(
                    _between(Family.invited_on, first, last), Family.invitation_accepted.is_(True)
                ),
                func.count().filter(
                    _between(Family.invited_on, first, last), Family.invitation_accepted.is_(False)
                ),
                func.count().filter(_between(Family.committed_on, first, last)),
            ).where(*_comuna(comuna))
        )
    ).one()
    # Coverage: families in the programme at some time of the year (signed, not yet out).
    covered = and_(
        Family.committed_on <= last,
        or_(Family.exited_on.is_(None), Family.exited_on >= first),
        *_comuna(comuna),
    )
    coverage = (
        await db.execute(
            select(func.count(func.distinct(Family.id)), func.count(Member.id))
            .select_from(Family)
            .outerjoin(Member, Member.family_id == Family.id)
            .where(covered)
        )
    ).one()
    attempts = await db.execute(
        select(
            ContactAttempt.channel,
            ContactAttempt.result,
            func.count(),
            func.count(func.distinct(ContactAttempt.family_id)),
        )
        .join(Family, Family.id == ContactAttempt.family_id)
        .where(_between(ContactAttempt.attempted_on, first, last), *_comuna(comuna))
        .group_by(ContactAttempt.channel, ContactAttempt.result)
    )
    by_kind = {(str(c), str(r)): (int(n), int(f)) for c, r, n, f in attempts}
    return {
        "anio": anio,
        "comuna": comuna,
        "etapas": {
            "derivadas": stages[0],
            "localizadas": stages[1],
            "invitadas": stages[2],
            "aceptan": stages[3],
            "rechazan": stages[4],
            "firman_compromiso": stages[5],
        },
        "cobertura": {"familias": coverage[0], "personas": coverage[1]},
        "contactos": [
            {
                "canal": channel,
                "resultado": result,
                "intentos": by_kind.get((channel, result), (0, 0))[0],
                "familias": by_kind.get((channel, result), (0, 0))[1],
            }
            for channel in CHANNELS
            for result in CONTACT_RESULTS
        ],
        "egresos": await _exits(db, first, last, comuna),
    }


@router.get("/mensual", summary="Familias por fase al cierre del mes, ingresos y egresos")
async def monthly(
    db: Session,
    rt: Runtime,
    mes: Month,
    comuna: Comuna = None,
    plazo_contacto_dias: Annotated[int, Query(ge=1, le=365)] = CONTACT_DEADLINE_DAYS,
) -> dict[str, Any]:
    first, last = month_bounds(mes)
    # A month still running is read as of today: nothing is overdue in the future.
    cutoff = min(last, datetime.now(ZoneInfo(rt.settings.timezone)).date())
    present = and_(
        Family.referred_on <= last,
        or_(Family.exited_on.is_(None), Family.exited_on > last),
        *_comuna(comuna),
    )
    unlocated = or_(Family.located_on.is_(None), Family.located_on > last)
    located = Family.located_on <= last
    uninvited = or_(Family.invited_on.is_(None), Family.invited_on > last)
    accepted = and_(Family.invited_on <= last, Family.invitation_accepted.is_(True))
    uncommitted = or_(Family.committed_on.is_(None), Family.committed_on > last)
    row = (
        await db.execute(
            select(
                func.count().filter(unlocated),
                func.count().filter(located, uninvited),
                func.count().filter(accepted, uncommitted),
                func.count().filter(Family.committed_on <= last),
                func.count().filter(
                    unlocated, Family.referred_on < cutoff - timedelta(days=plazo_contacto_dias)
                ),
            ).where(present)
        )
    ).one()
    entries = (
        await db.execute(
            select(
                func.count().filter(_between(Family.referred_on, first, last)),
                func.count().filter(_between(Family.committed_on, first, last)),
            ).where(*_comuna(comuna))
        )
    ).one()
    return {
        "mes": mes,
        "comuna": comuna,
        "por_fase": {
            "contacto": row[0],
            "invitacion": row[1],
            "compromiso": row[2],
            "con_compromiso_firmado": row[3],
        },
        "ingresos": {"derivadas": entries[0], "firman_compromiso": entries[1]},
        "egresos": await _exits(db, first, last, comuna),
        "vencidas": {"contacto": row[4], "plazo_contacto_dias": plazo_contacto_dias},
    }
