"""Bonuses reported by the ministry (or accredited at the municipality), imported from a file."""

from __future__ import annotations

import random
from uuid import uuid4

from stdnum.cl import rut as stdnum_rut

from services.payments.payees import payee_service
from tests.conftest import ServiceUnderTest


def a_run() -> str:
    body = str(random.randint(5_000_000, 25_000_000))
    return f"{body}{stdnum_rut.calc_check_digit(body)}"


async def test_a_bonus_file_is_applied_whole_once_and_bad_rows_name_their_line(
    payments: ServiceUnderTest,
) -> None:
    family, run = uuid4(), a_run()
    async with payments.runtime.sessions() as session, session.begin():
        await payee_service.set_representative(
            session, family, member_id=uuid4(), run=run, name="Titular de prueba"
        )
    dotted = stdnum_rut.format(run)  # as Excel users write it: 12.345.678-5
    good = (
        "run;mes;concepto;monto;fuente\n"
        f"{dotted};2025-03;asistencia_escolar;11.429;Oficio MDSF 123/2025\n"
        f"{run};2025-09;logro_escolar;82181;Nómina Logro Escolar 2025\n"
    )
    first = await payments.client.post("/v1/bonuses", content=good.encode("utf-8-sig"))
    assert first.status_code == 200, first.text
    assert first.json() == {"registered": 2, "already_registered": 0}
    again = await payments.client.post("/v1/bonuses", content=good.encode())
    assert again.json() == {"registered": 0, "already_registered": 2}

    orders = (await payments.client.get(f"/v1/families/{family}/orders")).json()
    assert sorted((o["period"], o["concept"], o["amount"], o["status_label"]) for o in orders) == [
        ("2025-03", "asistencia_escolar", 11_429, "pendiente"),
        ("2025-09", "logro_escolar", 82_181, "pendiente"),
    ]
    books = (await payments.client.get("/v1/cycles/2025-09/cuadratura")).json()
    assert books["balanced"], books["problems"]

    stranger = a_run()
    bad = (
        "run,mes,concepto,monto,fuente\n"
        f"{run},2025-04,asistencia_escolar,11429,Oficio 124\n"  # fine, but the file is refused
        f"{stranger},2025-04,asistencia_escolar,11429,Oficio 124\n"
        f"{run},2025-03,asistencia_escolar,12000,Oficio 125\n"
        f"{run},2025-13,asistencia_escolar,11429,Oficio 124\n"
        f"{run},2025-04,bono_invierno,5000,Oficio 124\n"
    )
    refused = await payments.client.post("/v1/bonuses", content=bad.encode())
    assert refused.status_code == 422
    body = refused.json()
    assert body["error_count"] == 4
    assert [(e["line"], e["column"]) for e in body["errors"]] == [
        (3, "run"),  # not a payee
        (4, "monto"),  # registered before with another amount
        (5, "mes"),
        (6, "concepto"),
    ]
    assert stranger not in refused.text  # the RUT is masked in the report
    after = (await payments.client.get(f"/v1/families/{family}/orders")).json()
    assert len(after) == 2  # nothing of the refused file was applied
