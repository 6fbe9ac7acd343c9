"""Tariffs as dated data: the amount paid in a month for a plan month (DOMAIN.md §3)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from services.payments.tariffs import load_tariffs, protection_amount, schedule
from shared.errors import ValidationFailed

TARIFFS = load_tariffs()


def test_the_worked_check_of_the_handbook() -> None:
    months = schedule(TARIFFS, date(2024, 2, 1))
    by_tranche = [sum(m.amount for m in months[i : i + 6]) for i in (0, 6, 12, 18)]
    assert by_tranche == [136_044, 103_536, 74_388, 132_042]
    assert sum(by_tranche) == 446_010  # not the press's 432,732


def test_a_january_payment_still_uses_the_previous_row() -> None:
    january = protection_amount(TARIFFS, date(2025, 1, 1), plan_month=1)
    february = protection_amount(TARIFFS, date(2025, 2, 1), plan_month=1)
    assert (january.amount, february.amount) == (22_674, 23_694)


def test_tranche_four_follows_the_suf_in_force_in_the_paid_month() -> None:
    assert protection_amount(TARIFFS, date(2024, 6, 1), 19).amount == 20_328
    assert protection_amount(TARIFFS, date(2024, 7, 1), 19).amount == 21_243
    row = protection_amount(TARIFFS, date(2025, 5, 1), 24).row
    assert row.published_at > row.effective_from  # a retroactive law: reliquidación applies


def test_a_bad_tariff_file_stops_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "tarifas.csv"
    bad.write_text(
        "concepto,tramo,vigente_desde,publicado,monto,fuente\n"
        "proteccion,1,2026-02-01,2026-02-01,veinte mil,IPS\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationFailed, match="línea 2"):
        load_tariffs(bad)


def test_a_plan_month_out_of_range_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        protection_amount(TARIFFS, date(2025, 1, 1), plan_month=25)
