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
            "nombres": "Ana María",
            "apellido_paterno": "González",
            "apellido_materno": "Muñoz",
            "sexo": "F",
            "fecha_nacimiento": "1985-03-14",
            "parentesco": "jefa_hogar",
            "jefe_hogar": True,
        }
    ]
    people += [
        {
            "run": random_rut(),
            "nombres": f"Hijo {i}",
            "apellido_paterno": "González",
            "sexo": "M",
            "fecha_nacimiento": "2014-07-01",
            "parentesco": "hijo",
        }
        for i in range(1, members)
    ]
    return {"id_familia": code, "comuna": comuna, "cohorte": cohort, "miembros": people}
