"""Tariffs as dated data (DOMAIN.md §3): every row has when it applies, when it was published
and its source. The amount for a paid month is the row in force *in that month* for the
family's *plan month*: tranches 1–3 of the Bono de Protección from its February rows,
tranche 4 (months 19–24) the Subsidio Familiar in force, which changes on its own dates.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from services.payments.periods import add_months
from shared.errors import ValidationFailed

DEFAULT_FILE = Path(__file__).with_name("tarifas.csv")
PLAN_MONTHS = 24
# The Bono Base Familiar's threshold per person is a dated row too (concept, tranche 0).
BASE_THRESHOLD = "base_umbral"
BASE_SHARE_PERCENT = 85  # of the gap between the threshold and the per-capita income
BASE_TAPER_FROM = 17  # from this payment on, 1/6 less each month


@dataclass(frozen=True)
class TariffRow:
    concept: str  # proteccion (tranches 1–3), suf (tranche 4), base_umbral (tranche 0)
    tranche: int
    effective_from: date
    published_at: date
    amount: int
    source: str


@dataclass(frozen=True)
class MonthAmount:
    period: date  # the calendar month paid (its first day)
    plan_month: int
    tranche: int
    concept: str
    amount: int
    row: TariffRow

    @property
    def source(self) -> str:
        return self.row.source


def load_tariffs(path: Path = DEFAULT_FILE) -> list[TariffRow]:
    """Read and validate the packaged tariff file; any bad row stops the service."""
    return parse_tariffs(path.read_text(encoding="utf-8-sig"), path.name)


def parse_tariffs(content: str, name: str = "tarifas.csv") -> list[TariffRow]:
    """Validate a whole tariff file (as shipped or uploaded by an administrator).

    Every problem names its line; a file with any bad line is refused whole.
    """
    rows: list[TariffRow] = []
    seen: set[tuple[str, int, date]] = set()
    for number, record in enumerate(csv.DictReader(io.StringIO(content)), start=2):
        try:
            row = TariffRow(
                concept=record["concepto"].strip(),
                tranche=int(record["tramo"]),
                effective_from=date.fromisoformat(record["vigente_desde"].strip()),
                published_at=date.fromisoformat(record["publicado"].strip()),
                amount=int(record["monto"]),
                source=(record["fuente"] or "").strip(),
            )
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise ValidationFailed(f"Tarifa mal escrita en {name}, línea {number}") from exc
        known = row.concept in ("proteccion", "suf") and 1 <= row.tranche <= 4
        if not known and (row.concept, row.tranche) != (BASE_THRESHOLD, 0):
            raise ValidationFailed(f"Concepto o tramo desconocido en {name}, línea {number}")
        if row.concept != BASE_THRESHOLD and (row.concept == "suf") != (row.tranche == 4):
            raise ValidationFailed(
                f"El tramo 4 es el SUF y solo el SUF es tramo 4 ({name}, línea {number})"
            )
        if row.amount <= 0 or not row.source:
            raise ValidationFailed(f"Monto o fuente faltante en {name}, línea {number}")
        if row.effective_from.day != 1:
            raise ValidationFailed(
                f"Una tarifa rige desde el día 1 de un mes ({name}, línea {number})"
            )
        key = (row.concept, row.tranche, row.effective_from)
        if key in seen:
            raise ValidationFailed(f"Tarifa repetida en {name}, línea {number}")
        seen.add(key)
        rows.append(row)
    if not rows:
        raise ValidationFailed(f"El archivo {name} no tiene tarifas")
    return rows


def tranche_of(plan_month: int) -> int:
    if not 1 <= plan_month <= PLAN_MONTHS:
        raise ValidationFailed(f"Mes del plan fuera de rango: {plan_month}")
    return (plan_month - 1) // 6 + 1


def protection_amount(rows: list[TariffRow], paid_month: date, plan_month: int) -> MonthAmount:
    """The Bono de Protección for `plan_month`, paid in the calendar month `paid_month`."""
    tranche = tranche_of(plan_month)
    concept = "suf" if tranche == 4 else "proteccion"
    month = paid_month.replace(day=1)
    in_force = [
        r
        for r in rows
        if r.concept == concept and r.tranche == tranche and r.effective_from <= month
    ]
    if not in_force:
        raise ValidationFailed(f"No hay tarifa vigente en {month:%m-%Y} para el tramo {tranche}")
    row = max(in_force, key=lambda r: r.effective_from)
    return MonthAmount(month, plan_month, tranche, "bono_proteccion", row.amount, row)


def schedule(rows: list[TariffRow], first_paid_month: date) -> list[MonthAmount]:
    """The 24 months a family would receive, from the month of its first payment."""
    return [
        protection_amount(rows, add_months(first_paid_month, n), n + 1) for n in range(PLAN_MONTHS)
    ]


def base_familiar_amount(
    rows: list[TariffRow], paid_month: date, payment_number: int, per_capita: int, members: int
) -> MonthAmount | None:
    """The Bono Base Familiar for one month, or None when nothing is owed.

    85 % of the gap between the threshold per person in force that month and the family's
    per-capita income, for each member, in whole pesos; from payment 17 on it is reduced
    by 1/6 per month (payment 17 pays 5/6, … payment 22 and later nothing). None when no
    threshold row is in force: the amount is dated data an administrator loads, never a
    constant in the code.
    """
    month = paid_month.replace(day=1)
    in_force = [r for r in rows if r.concept == BASE_THRESHOLD and r.effective_from <= month]
    if not in_force or members < 1 or per_capita < 0:
        return None
    row = max(in_force, key=lambda r: r.effective_from)
    gap = max(0, row.amount - per_capita)
    monthly = gap * BASE_SHARE_PERCENT * members // 100
    if payment_number >= BASE_TAPER_FROM:
        monthly = monthly * max(0, 6 - (payment_number - BASE_TAPER_FROM + 1)) // 6
    if monthly <= 0:
        return None
    return MonthAmount(month, payment_number, 0, "bono_base_familiar", monthly, row)
