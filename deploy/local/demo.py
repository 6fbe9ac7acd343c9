"""Demo data for `make run`: a unit's team and the sample nómina, loaded through the real API.

Idempotent: a second `make run` finds the team in place and the nómina already imported.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from shared.settings import Settings

SAMPLE_NOMINA = Path(__file__).resolve().parents[2] / "docs" / "nomina" / "nomina-ejemplo.csv"
COMUNA = "Conchalí"
YEAR = 2026

TEAM = [  # fictitious people
    {"run": "10.000.013-K", "name": "Patricia Leiva", "role": "jefe_unidad"},
    {"run": "12.000.011-K", "name": "Camila Fuentes", "role": "apoyo_familiar"},
    {"run": "13.000.015-0", "name": "Jorge Valdés", "role": "apoyo_familiar"},
    {"run": "14.000.017-5", "name": "Francisca Morales", "role": "administrativo"},
]


def load_demo_data(settings: Settings) -> int:
    """Create the team and import the sample nómina; returns how many families are new."""
    intake = settings.service_url("intake")
    with httpx.Client(timeout=60, headers={"X-Familias-Usuario": "demo"}) as http:
        present = {s["run_formatted"] for s in http.get(f"{intake}/v1/staff").json()}
        head_id = None
        for person in TEAM:
            if person["run"] in present:
                continue
            body = {**person, "comuna": COMUNA, "reports_to_id": head_id}
            response = http.post(f"{intake}/v1/staff", json=body)
            response.raise_for_status()
            if person["role"] == "jefe_unidad":
                head_id = response.json()["id"]
        response = http.post(
            f"{intake}/v1/nominas",
            files={"file": (SAMPLE_NOMINA.name, SAMPLE_NOMINA.read_bytes(), "text/csv")},
            data={"comuna": COMUNA, "cohort_year": str(YEAR)},
        )
        if response.status_code not in (200, 201):
            response.raise_for_status()
        return len(response.json().get("families_created", []))
