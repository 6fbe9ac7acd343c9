"""Lifecycle mode: a population of families driven through programme months on Temporal's
time-skipping test server, with every service, relay, the bridge and the worker as real
processes, and faults while the facts are recorded and each month's payments run.

Time: the test server starts at the real now and moves only when this harness skips it;
after each skip the services' clock follows it (`ChaosStack.follow_test_server`, the
clock offset file). Faults fall only in the stretches between skips, which run at the
real pace, so a timeout means the same as in production. Before each skip the harness
waits until every fault is healed and the bus has settled.

The population, as a professional records it through the APIs (seeded): a share refuses
the invitation (the family exits); the rest commit, are diagnosed and sign a plan on day
one. Month by month each family in accompaniment has its session on the 10th, but a few
never do (their abandonment procedure opens after two months, and their orders are held);
on the 20th the month's PaymentCycle runs through supervision's API.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError

from shared.bus.client import Bus
from shared.clock import local_day
from shared.contracts.lifecycle import QUERY_STATE, LifecycleView, family_workflow_id
from shared.contracts.payments import payment_cycle_workflow_id
from tests.chaos.faults import FaultPlan, Injector
from tests.chaos.observe import quiesce
from tests.chaos.population import (
    ChaosFamily,
    bounded,
    call,
    change_representative,
    import_families,
    population,
)
from tests.chaos.stack import ChaosStack

SANTIAGO = ZoneInfo("America/Santiago")
INDICATORS = ["inscripcion_salud", "controles_al_dia", "asistencia_escolar",
              "nivelacion_estudios", "empleo", "cotizacion", "ingresos_autonomos",
              "beneficios", "habitabilidad", "entorno"]  # fmt: skip
REFUSES = 0.08  # share of families that refuse the invitation
NO_SHOW = 0.06  # share that never has a session (abandonment procedure)
MISSES = 0.1  # chance any other family misses a month


def noon(day: date) -> datetime:
    return datetime.combine(day, clock_time(12), tzinfo=SANTIAGO)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class Household:
    family: ChaosFamily
    refuses: bool
    no_show: bool


@dataclass
class LifecycleRun:
    stack: ChaosStack
    bus: Bus
    plan: FaultPlan
    seed: int
    families: int
    say: Callable[[str], None]
    households: list[Household] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _toggle: bool = True

    async def burst(self, size: int) -> int:
        """Representatives changed for a few families: intake writes, then the relay dies."""
        rng = random.Random(self.seed * 31 + len(self.notes))
        known = [h for h in self.households if h.family.id is not None]
        chosen = rng.sample(known, min(size, len(known)))
        self._toggle = not self._toggle
        async with self.stack.http("intake") as intake:
            await bounded(
                chosen,
                lambda h: change_representative(intake, h.family, to_partner=not self._toggle),
            )
        return len(chosen)

    async def today(self) -> date:
        return local_day(await self.stack.now(), self.stack.settings.timezone)

    async def run(self, injector: Injector) -> list[str]:
        rng = random.Random(self.seed)
        people = population(rng, self.families, prefix=f"VIDA{self.seed}")
        self.households = [
            Household(f, refuses=rng.random() < REFUSES, no_show=rng.random() < NO_SHOW)
            for f in people
        ]
        rounds = iter(self.plan.rounds)
        day = await self.today()
        started = time.monotonic()
        faults = asyncio.create_task(injector.run_round(next(rounds, [])))
        try:
            await self.set_up(day)
        finally:
            await faults
        self.note(f"día 1 ({day}): familias importadas, comprometidas y con plan firmado",
                  started)  # fmt: skip
        first_month = add_months(day.replace(day=1), 1)
        periods = []
        for number in range(1, len(self.plan.rounds)):
            month = add_months(first_month, number - 1)
            await self.settle()
            await self.stack.skip_to(noon(month) + timedelta(hours=1))
            await self.wait_month(number)
            await self.settle()
            await self.stack.skip_to(noon(month.replace(day=10)))
            started = time.monotonic()
            faults = asyncio.create_task(injector.run_round(next(rounds, [])))
            try:
                await self.sessions(month.replace(day=10), rng)
                await self.stack.heal()
                await self.settle()
                await self.stack.skip_to(noon(month.replace(day=20)))
                period = f"{month:%Y-%m}"
                status = await self.payment_cycle(period)
                periods.append(period)
            finally:
                await faults
            self.note(f"mes {number} ({month:%Y-%m}): sesiones y ciclo de pagos {status}",
                      started)  # fmt: skip
        await self.settle()
        last = add_months(first_month, len(self.plan.rounds) - 1)
        await self.stack.skip_to(noon(last) + timedelta(hours=1))
        await self.wait_month(len(self.plan.rounds))
        return periods

    def note(self, text: str, started: float) -> None:
        line = f"{text} en {time.monotonic() - started:.0f} s"
        self.notes.append(line)
        self.say(line)

    async def settle(self) -> None:
        await self.stack.heal()
        moving = await quiesce(self.stack.settings, self.bus, 120)
        if moving:
            self.say(f"sin asentarse antes de saltar el reloj: {moving}")

    async def set_up(self, day: date) -> None:
        families = [h.family for h in self.households]
        async with self.stack.http("intake") as intake, self.stack.http("plans") as plans:
            await import_families(intake, families, comuna="Conchalí", cohort_year=day.year)
            await self.wait_phase(lambda view: view is not None and view.phase != "derivacion")
            await bounded(self.households, lambda h: self.to_plan(intake, plans, h, day))

    async def to_plan(
        self, intake: httpx.AsyncClient, plans: httpx.AsyncClient, household: Household, day: date
    ) -> None:
        family = household.family
        key = f"caos-{family.id}"
        await call(intake, "POST", f"/v1/families/{family.id}/contacts",
                   json={"attempted_on": day.isoformat(), "channel": "visita",
                         "result": "localizada"},
                   headers={"Idempotency-Key": f"{key}-contacto"})  # fmt: skip
        answer: dict[str, Any] = {"invited_on": day.isoformat(), "result": "acepta"}
        if household.refuses:
            answer = answer | {"result": "rechaza", "reason": "No desea participar"}
        await call(intake, "POST", f"/v1/families/{family.id}/invitation", json=answer,
                   headers={"Idempotency-Key": f"{key}-invitacion"})  # fmt: skip
        if household.refuses:
            return
        await call(intake, "POST", f"/v1/families/{family.id}/commitment",
                   json={"signed_on": day.isoformat(), "document": "carta.pdf"},
                   headers={"Idempotency-Key": f"{key}-carta"})  # fmt: skip
        await diagnose(plans, family)
        await sign_plan(plans, family, day)

    async def sessions(self, day: date, rng: random.Random) -> None:
        attending = [
            h for h in self.households if not h.refuses and not h.no_show and rng.random() >= MISSES
        ]
        async with self.stack.http("plans") as plans:

            async def record(household: Household) -> None:
                await call(
                    plans,
                    "POST",
                    f"/v1/families/{household.family.id}/sessions",
                    done=(201,),
                    json={"held_on": day.isoformat(), "kind": "aps_individual",
                          "attendance": "asistio", "dimensions": ["salud"],
                          "notes": "Sesión del mes"},
                )  # fmt: skip

            await bounded(attending, record)

    async def payment_cycle(self, period: str) -> str:
        async with self.stack.http("supervision") as supervision:
            await call(supervision, "POST", f"/v1/payment-cycles/{period}",
                       done=(202, 409), json={"restart": False})  # fmt: skip
        client = await self.stack.temporal()
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                described = await client.get_workflow_handle(
                    payment_cycle_workflow_id(period)
                ).describe()
                if described.status != WorkflowExecutionStatus.RUNNING:
                    return described.status.name if described.status else "?"
            except RPCError:
                pass
            await asyncio.sleep(1)
        return "sin terminar"

    async def views(self) -> dict[str, LifecycleView | None]:
        client = await self.stack.temporal()

        async def view(household: Household) -> tuple[str, LifecycleView | None]:
            handle = client.get_workflow_handle(family_workflow_id(str(household.family.id)))
            try:
                return household.family.code, await handle.query(
                    QUERY_STATE, result_type=LifecycleView
                )
            except Exception:
                return household.family.code, None

        return dict(await bounded(self.households, view, limit=16))

    async def wait_phase(
        self, ready: Callable[[LifecycleView | None], bool], timeout: float = 240
    ) -> None:
        deadline = time.monotonic() + timeout
        waiting: list[str] = []
        while time.monotonic() < deadline:
            views = await self.views()
            waiting = [code for code, view in views.items() if not ready(view)]
            if not waiting:
                return
            await asyncio.sleep(1)
        self.say(f"{len(waiting)} familias no llegaron a tiempo: {waiting[:5]}")

    async def wait_month(self, number: int) -> None:
        """Every family in accompaniment began plan month `number` (closed the one before)."""

        def ready(view: LifecycleView | None) -> bool:
            if view is None:
                return False
            if view.phase != "acompanamiento":
                return True
            return (view.plan_month or 0) >= number

        await self.wait_phase(ready)


async def diagnose(plans: httpx.AsyncClient, family: ChaosFamily, patience: float = 300) -> None:
    """Start, fill and complete the diagnosis; again from the start if a retry raced."""
    deadline = time.monotonic() + patience
    items = {"items": [{"indicator": code, "level": 2} for code in INDICATORS]}
    path = f"/v1/families/{family.id}/diagnosis"
    while time.monotonic() < deadline:
        # 409 until plans has learnt of the carta from intake's stream.
        started = await call(plans, "POST", path, done=(200, 409))
        if started.status_code == 409:
            await asyncio.sleep(0.5)
            continue
        if started.json()["completed_on"]:
            return
        saved = await call(plans, "PATCH", path, done=(200, 409, 412), json=items,
                           headers={"If-Match": started.headers["ETag"]})  # fmt: skip
        if saved.status_code != 200:
            continue
        done = await call(plans, "POST", f"{path}/complete", done=(200, 409, 412),
                          headers={"If-Match": saved.headers["ETag"]})  # fmt: skip
        if done.status_code == 200:
            return
    raise AssertionError(f"el diagnóstico de {family.code} no se completó")


async def sign_plan(
    plans: httpx.AsyncClient, family: ChaosFamily, day: date, patience: float = 300
) -> None:
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        listed = await call(plans, "GET", f"/v1/families/{family.id}/plans")
        if any(p["signed_on"] for p in listed.json()):
            return
        goals = [{"dimension": "salud", "description": "Inscribir a todos en el CESFAM"}]
        draft = await call(plans, "PUT", f"/v1/families/{family.id}/plan", done=(200, 409, 412),
                           json={"asl_adults": 0, "goals": goals})  # fmt: skip
        if draft.status_code != 200:
            await asyncio.sleep(0.5)
            continue
        signed = await call(plans, "POST", f"/v1/families/{family.id}/plan/sign",
                            done=(200, 409, 412), json={"signed_on": day.isoformat()},
                            headers={"If-Match": draft.headers["ETag"]})  # fmt: skip
        if signed.status_code == 200:
            return
    raise AssertionError(f"el plan de {family.code} no se firmó")
