"""Money mode: several payment cycles of thousands of orders on the Temporal dev server, with
the bank simulator misbehaving and processes and servers failing under them.

The families come in through intake (a nómina), commit (contact, invitation, carta), and
payments learns each payee from intake's events, as in production. Each round is a month:
its entitlements are registered with the command the family workflow sends (the families
here never reach accompaniment, whose months are calendar months), then the month's
PaymentCycle is started through supervision's API, as `familias pagos ciclo` does, and the
round's faults run meanwhile. A rejected transfer waits for the next round's cycle.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import asyncpg
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError

from shared.bus.client import Bus
from shared.clock import local_day
from shared.contracts import subjects
from shared.contracts.payments import (
    EntitlementRegistered,
    RegisterEntitlement,
    payment_cycle_workflow_id,
)
from shared.db.engine import asyncpg_dsn
from shared.errors import DependencyUnavailable
from tests.chaos.faults import FaultPlan, Injector
from tests.chaos.population import (
    ChaosFamily,
    bounded,
    call,
    change_representative,
    commit,
    import_families,
    population,
)
from tests.chaos.stack import ChaosStack

FIRST_PERIOD = date(2031, 1, 1)


@dataclass
class Round:
    period: str
    seconds: float = 0.0
    status: str = ""


@dataclass
class MoneyRun:
    stack: ChaosStack
    bus: Bus
    plan: FaultPlan
    seed: int
    families: int
    cycle_timeout: float
    say: Callable[[str], None]
    rounds: list[Round] = field(default_factory=list)
    population: list[ChaosFamily] = field(default_factory=list)
    _toggle: bool = True

    async def burst(self, size: int) -> int:
        """A burst of writes with events (representatives changed), for the relay fault."""
        rng = random.Random(self.seed * 31 + len(self.rounds))
        committed = [f for f in self.population if "commitment" in f.facts]
        chosen = rng.sample(committed, min(size, len(committed)))
        self._toggle = not self._toggle
        async with self.stack.http("intake") as intake:
            await bounded(
                chosen, lambda f: change_representative(intake, f, to_partner=not self._toggle)
            )
        return len(chosen)

    async def run(self, injector: Injector) -> list[str]:
        rng = random.Random(self.seed)
        self.population = population(rng, self.families, prefix=f"CAOS{self.seed}")
        today = local_day(await self.stack.now(), self.stack.settings.timezone)
        started = time.monotonic()
        timed = asyncio.create_task(injector.run_round(self.plan.rounds[0]))
        try:
            async with self.stack.http("intake") as intake:
                await import_families(
                    intake, self.population, comuna="Conchalí", cohort_year=today.year
                )
                await bounded(self.population, lambda f: commit(intake, f, today))
            payees = await self.wait_payees(len(self.population), timeout=180)
        finally:
            await timed
        await self.stack.heal()
        self.say(
            f"{len(self.population)} familias importadas y comprometidas, {payees} "
            f"beneficiarios en pagos, en {time.monotonic() - started:.0f} s"
        )
        periods = []
        for number, faults in enumerate(self.plan.rounds[1:]):
            period = _add_months(FIRST_PERIOD, number)
            label = f"{period:%Y-%m}"
            periods.append(label)
            round_ = Round(label)
            self.rounds.append(round_)
            bank = self.plan.bank[number + 1] if number + 1 < len(self.plan.bank) else []
            started = time.monotonic()
            await injector.bank_faults(bank)
            timed = asyncio.create_task(injector.run_round(faults))
            try:
                await self.register_month(period, number + 1)
                await self.start_cycle(label)
                round_.status = await self.wait_cycle(label, injector)
            finally:
                await timed
            await self.stack.heal()
            round_.seconds = time.monotonic() - started
            self.say(f"ciclo {label}: {round_.status} en {round_.seconds:.0f} s")
        await injector.bank_faults([])
        return periods

    async def wait_payees(self, wanted: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        count = 0
        dsn = asyncpg_dsn(self.stack.settings.service_database_url("payments"))
        while time.monotonic() < deadline:
            try:
                connection = await asyncpg.connect(dsn)
                try:
                    count = int(await connection.fetchval("SELECT count(*) FROM payees"))
                finally:
                    await connection.close()
            except (OSError, asyncpg.PostgresError):
                pass
            if count >= wanted:
                break
            await asyncio.sleep(1)
        return count

    async def register_month(self, period: date, plan_month: int) -> None:
        """The month's Bono de Protección for every family, as the workflow registers it."""

        async def register(family: ChaosFamily) -> None:
            assert family.id is not None
            command = RegisterEntitlement(
                idempotency_key=f"{family.id}:{period:%Y-%m}:bono_proteccion",
                family_id=family.id,
                period=period,
                plan_month=plan_month,
            )
            await _request(self.bus, command)

        await bounded(self.population, register, limit=16)

    async def start_cycle(self, period: str) -> None:
        async with self.stack.http("supervision") as supervision:
            await call(
                supervision,
                "POST",
                f"/v1/payment-cycles/{period}",
                done=(202, 409),  # 409: started already (a retry whose answer was lost)
                json={"restart": False},
            )

    async def wait_cycle(self, period: str, injector: Injector) -> str:
        """Until the month's cycle ends; the simulator told again its faults if it crashed."""
        deadline = time.monotonic() + self.cycle_timeout
        bank_pid = self.stack.pid("bank")
        while time.monotonic() < deadline:
            pid = self.stack.pid("bank")
            if pid is not None and pid != bank_pid:
                bank_pid = pid
                await injector.bank_restored()
            try:
                client = await self.stack.temporal()
                described = await client.get_workflow_handle(
                    payment_cycle_workflow_id(period)
                ).describe()
                if described.status != WorkflowExecutionStatus.RUNNING:
                    return described.status.name if described.status else "?"
            except RPCError:
                pass  # Temporal restarting
            await asyncio.sleep(1)
        return "sin terminar"


async def _request(bus: Bus, command: RegisterEntitlement, patience: float = 300) -> None:
    deadline = time.monotonic() + patience
    while True:
        try:
            await bus.request(subjects.ENTITLEMENT_REGISTER, command, EntitlementRegistered)
            return
        except DependencyUnavailable:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
