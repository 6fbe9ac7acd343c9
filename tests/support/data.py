"""Test data: valid random RUTs and family payloads that never collide between tests."""

from __future__ import annotations

import random
from typing import Any

from stdnum.cl import rut as stdnum_rut

_random = random.Random()


def random_rut(*, formatted: bool = True) -> str:
    body = str(_random.randint(5_000_000, 25_999_999))
    compact = body + stdnum_rut.calc_check_digit(body)
    return str(stdnum_rut.format(compact)) if formatted else compact


def family_payload(
    *, members: int = 2, comuna: str = "Conchalí", cohort: int = 2024
) -> dict[str, Any]:
    code = f"T-{_random.randint(0, 10**9):09d}"
    people = [
        {
            "run": random_rut(),
            "given_names": "Ana María",
            "paternal_surname": "González",
            "maternal_surname": "Muñoz",
            "sex": "F",
            "birth_date": "1985-03-14",
            "relation": "jefa_hogar",
            "household_head": True,
        }
    ]
    people += [
        {
            "run": random_rut(),
            "given_names": f"Hijo {i}",
            "paternal_surname": "González",
            "sex": "M",
            "birth_date": "2014-07-01",
            "relation": "hijo",
        }
        for i in range(1, members)
    ]
    return {"family_code": code, "comuna": comuna, "cohort_year": cohort, "members": people}
