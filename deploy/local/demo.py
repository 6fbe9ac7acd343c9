"""Demo data for `make run`: a few referred families, loaded through the real API."""

from __future__ import annotations

import httpx

from shared.settings import Settings

DEMO_FAMILIES = [
    {
        "id_familia": "DEMO-0001",
        "comuna": "Conchalí",
        "cohorte": 2024,
        "miembros": [
            {
                "run": "11.111.111-1",
                "nombres": "María José",
                "apellido_paterno": "Soto",
                "apellido_materno": "Pérez",
                "sexo": "F",
                "fecha_nacimiento": "1988-04-12",
                "parentesco": "jefa_hogar",
                "jefe_hogar": True,
            },
            {
                "run": "22.222.222-2",
                "nombres": "Tomás",
                "apellido_paterno": "Soto",
                "apellido_materno": "Soto",
                "sexo": "M",
                "fecha_nacimiento": "2015-09-03",
                "parentesco": "hijo",
            },
        ],
    },
    {
        "id_familia": "DEMO-0002",
        "comuna": "Conchalí",
        "cohorte": 2024,
        "miembros": [
            {
                "run": "16.666.666-K",
                "nombres": "Juana",
                "apellido_paterno": "Rojas",
                "apellido_materno": "Díaz",
                "sexo": "F",
                "fecha_nacimiento": "1979-01-30",
                "parentesco": "jefa_hogar",
                "jefe_hogar": True,
            }
        ],
    },
]


def load_demo_data(settings: Settings) -> int:
    """Register the demo families; already registered ones are left as they are."""
    created = 0
    with httpx.Client(timeout=10, headers={"X-Familias-Usuario": "demo"}) as http:
        for family in DEMO_FAMILIES:
            response = http.post(f"{settings.service_url('intake')}/v1/families", json=family)
            if response.status_code == 201:
                created += 1
            elif response.status_code != 409:
                response.raise_for_status()
    return created
