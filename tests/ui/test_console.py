"""The console in a real browser on the running stack: find a family, read its timeline,
try to decide an abandonment, close it, and watch the dashboard follow."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, expect

from deploy.local.stack import LocalStack
from tests.support.data import family_payload, random_rut
from tests.support.waiting import eventually

pytestmark = pytest.mark.ui

PHONE = {"width": 390, "height": 844}


async def running_family(system: LocalStack, comuna: str) -> dict[str, Any]:
    """An Apoyo Familiar and one family assigned to them, with the family's workflow started."""
    async with httpx.AsyncClient(timeout=10) as http:
        intake = system.settings.service_url("intake")
        staff = await http.post(
            f"{intake}/v1/staff",
            json={"run": random_rut(), "name": "Paula Apoyo", "role": "apoyo_familiar",
                  "comuna": comuna},
        )  # fmt: skip
        assert staff.status_code == 201, staff.text
        created = await http.post(f"{intake}/v1/families", json=family_payload(comuna=comuna))
        assert created.status_code == 201, created.text
        family: dict[str, Any] = created.json()

        async def kinds() -> list[str]:
            supervision = system.settings.service_url("supervision")
            response = await http.get(f"{supervision}/v1/families/{family['id']}/lifecycle")
            ok = response.status_code == 200
            return [e["kind"] for e in response.json()["timeline"]] if ok else []

        await eventually(kinds, until=lambda k: "expediente" in k)
    return family


async def choose_profile(page: Page, profile: str, name: str) -> None:
    await page.get_by_label("Perfil", exact=True).select_option(label=profile)
    await page.get_by_label("Nombre", exact=True).fill(name)
    await page.get_by_role("button", name="Cambiar").click()
    await expect(page.locator(".provisorio")).to_contain_text(profile)


async def dashboard_total(page: Page, base: str, comuna: str, expected: str) -> None:
    """Visibility is eventually consistent: reload until the count arrives."""

    async def total() -> str:
        await page.goto(f"{base}/tablero?comuna={comuna}")
        return await page.locator("#total-en-curso").inner_text()

    await eventually(total, until=lambda t: t == expected, timeout=20, interval=0.5)


async def test_an_operator_finds_a_family_reads_its_timeline_and_acts_on_it(
    system: LocalStack, context: BrowserContext, artifacts_dir: Path
) -> None:
    comuna = f"UI {uuid4().hex[:6]}"
    family = await running_family(system, comuna)
    base = system.settings.service_url("supervision")
    representative = family["representative"]
    page = await context.new_page()

    await page.goto(base + "/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Consola de supervisión")
    await choose_profile(page, "Jefe/a de Unidad", "Marta Rojas")

    # Search by RUT written without dots or dash, lower-case check digit.
    compact = representative["run"].lower()
    await page.get_by_label("Buscar una familia por RUT, nombre o identificador").fill(compact)
    await page.keyboard.press("Enter")
    await page.get_by_role("link", name=family["family_code"]).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Familia {family['family_code']}"
    )
    await expect(page.get_by_text("Paula Apoyo")).to_be_visible()
    await expect(page.get_by_text(representative["run_formatted"]).first).to_be_visible()
    timeline = page.locator("ol.linea > li")
    await expect(timeline.first).to_be_visible()
    assert await timeline.count() >= 3
    kinds = await timeline.locator(".tipo").all_inner_texts()
    assert "Derivación" in kinds
    assert "Expediente" in kinds
    times = await timeline.locator("time").evaluate_all("ts => ts.map(t => t.dateTime)")
    assert times == sorted(times, reverse=True), "newest first"
    await page.screenshot(path=artifacts_dir / "ui-familia.png", full_page=True)

    # Decide an abandonment: no procedure is open yet, so the workflow refuses and says why.
    await page.get_by_text("Decidir abandono").click()
    await page.get_by_label("Confirmar el egreso por abandono").check()
    await page.get_by_label("Motivo", exact=True).first.fill("Dos meses sin sesiones")
    await page.get_by_role("button", name="Registrar decisión").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("No hay un procedimiento de abandono abierto")
    await page.screenshot(path=artifacts_dir / "ui-abandono-rechazado.png", full_page=True)

    await dashboard_total(page, base, comuna, "1")
    await expect(page.locator('#tabla-fases tr[data-fase="contacto"] td.num').first).to_have_text(
        "1"
    )
    await page.screenshot(path=artifacts_dir / "ui-tablero-antes.png", full_page=True)

    # An accepted action: the family resigns; its timeline and the dashboard follow.
    await page.goto(f"{base}/familias/{family['id']}")
    await page.get_by_text("Egreso por renuncia, fallecimiento o traslado").click()
    await page.get_by_label("Causal de egreso").select_option("renuncia")
    await page.locator("#cierre-motivo").fill("La familia renuncia por escrito")
    await page.get_by_role("button", name="Registrar egreso").click()
    await expect(page.get_by_role("status")).to_have_text("Egreso registrado")
    await expect(timeline.first.locator(".quien")).to_contain_text("Marta Rojas (Jefe/a de Unidad)")
    await expect(page.get_by_text("Egreso: Renuncia de la familia")).to_be_visible()
    await expect(page.get_by_role("button", name="Registrar egreso")).to_have_count(0)

    await dashboard_total(page, base, comuna, "0")
    await page.screenshot(path=artifacts_dir / "ui-tablero-despues.png", full_page=True)

    await page.set_viewport_size(PHONE)
    await page.goto(f"{base}/familias/{family['id']}")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "no sideways scrolling on a phone"
    await page.screenshot(path=artifacts_dir / "ui-familia-telefono.png", full_page=True)


async def test_every_field_has_a_label_and_the_keyboard_reaches_the_content(
    system: LocalStack, context: BrowserContext
) -> None:
    comuna = f"UI {uuid4().hex[:6]}"
    family = await running_family(system, comuna)
    base = system.settings.service_url("supervision")
    page = await context.new_page()
    await page.goto(base + "/")
    await choose_profile(page, "Jefe/a de Unidad", "")
    for path in ("/", "/tablero", "/buscar?q=nadie", "/organigrama", f"/familias/{family['id']}"):
        await page.goto(base + path)
        assert await page.get_attribute("html", "lang") == "es-CL"
        await page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        unlabelled = await page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea')]
                 .filter(e => e.type !== 'hidden')
                 .filter(e => e.labels.length === 0 && !e.getAttribute('aria-label'))
                 .map(e => e.name || e.id)"""
        )
        assert unlabelled == [], f"{path}: fields without a label: {unlabelled}"

    await page.goto(base + "/tablero")
    await page.keyboard.press("Tab")
    focused = page.locator(":focus")
    await expect(focused).to_have_text("Saltar al contenido")
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(focused).to_have_attribute("id", re.compile("^f-comuna$"))
    await page.keyboard.type(comuna)
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/tablero\?comuna="))
    await expect(page.locator("#f-comuna")).to_have_value(comuna)
