"""What each version of a family stores: its people as the nómina names them.

`FamilyVersion.snapshot` keeps the nómina's own (Spanish) column names, and the importer
compares a new file's families with the latest snapshot: a change of these keys would
make every family of the next file look changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.intake.models import Member
from services.intake.nomina.validate import PersonRow


def snapshot(people: Sequence[PersonRow | Member]) -> dict[str, Any]:
    """A family's people in a form that compares and stores as JSON."""
    return {
        "miembros": [
            {
                "run": p.run,
                "nombres": p.given_names,
                "apellido_paterno": p.paternal_surname,
                "apellido_materno": p.maternal_surname,
                "sexo": p.sex,
                "fecha_nacimiento": p.birth_date.isoformat() if p.birth_date else None,
                "parentesco": p.relation,
                "jefe_hogar": p.is_household_head,
                "direccion": p.address,
                "comuna": p.comuna,
                "telefono": p.phone,
                "tramo_rsh": p.rsh_bracket,
                "ingreso_per_capita": p.per_capita_income,
            }
            for p in people
        ]
    }


def member_count(state: dict[str, Any]) -> int:
    return len(state.get("miembros", []))
