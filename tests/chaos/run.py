"""One chaos run: start the stack, drive the mode with the seed's faults, let the system
settle, check the invariants, print the table and (for `make chaos`) append it to
bench/RESULTS.md."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from shared.bus.client import Bus
from tests.chaos import invariants
from tests.chaos.faults import (
    BANK_KINDS,
    LABELS,
    LIFECYCLE_KINDS,
    MONEY_KINDS,
    FaultPlan,
    Injector,
    Kind,
    draw_plan,
)
from tests.chaos.invariants import Result
from tests.chaos.observe import observe, quiesce
from tests.chaos.stack import ChaosStack

Mode = Literal["dinero", "ciclo-de-vida"]
PROJECT = Path(__file__).resolve().parents[2]
RESULTS = PROJECT / "bench" / "RESULTS.md"


@dataclass
class ChaosConfig:
    mode: Mode
    seed: int
    families: int
    rounds: int  # payment cycles (money) or programme months (lifecycle)
    kinds: Sequence[Kind] | None = None  # None: every kind the mode has
    bank_kinds: Sequence[Kind] | None = None
    extra_faults: int = 0
    fault_window: float = 20.0  # faults fall this many seconds into their round, at most
    cycle_timeout: float = 900.0
    quiesce_timeout: float = 180.0
    record: bool = False
    keep: bool = False
    label: str = ""

    def plan(self) -> FaultPlan:
        possible = MONEY_KINDS if self.mode == "dinero" else LIFECYCLE_KINDS
        kinds = [k for k in self.kinds if k in possible] if self.kinds is not None else possible
        bank = self.bank_kinds
        if bank is None:
            bank = BANK_KINDS if self.mode == "dinero" else ()
        # Round 0 sets the population up (the nómina, commitments; in lifecycle mode
        # diagnoses and plans too), then one round per payment cycle or programme month.
        return draw_plan(
            self.seed,
            self.rounds + 1,
            kinds=kinds,
            bank_kinds=bank,
            window=self.fault_window,
            extra=self.extra_faults,
        )


@dataclass
class ChaosReport:
    config: ChaosConfig
    results: list[Result]
    faults: dict[str, int]
    seconds: float
    commit: str
    data_dir: Path | None
    plan: list[str]
    notes: list[str] = field(default_factory=list)
    still_moving: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not invariants.failed(self.results)

    def markdown(self) -> str:
        config = self.config
        rounds = "ciclos" if config.mode == "dinero" else "meses"
        head = (
            f"### Caos — modo {config.mode}, semilla {config.seed}"
            f"{' (' + config.label + ')' if config.label else ''}, "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
            f"Commit {self.commit}; {config.families} familias, {config.rounds} {rounds}; "
            f"{self.seconds:.0f} s. Resultado: {'cumple' if self.ok else '**NO cumple**'}.\n"
            f"`python -m tests.chaos --modo {config.mode} --semilla {config.seed} "
            f"--familias {config.families} --rondas {config.rounds}`\n"
        )
        body = invariants.table(self.results, _counter(self.faults), _labels())
        extra = [f"- {note}" for note in self.notes]
        extra += [f"- sin asentarse al final: {m}" for m in self.still_moving]
        failed = invariants.details(self.results)
        if failed:
            extra += ["", "```", *failed, "```"]
        return "\n".join([head, body, "", *extra]).rstrip() + "\n"


def _labels() -> dict[str, str]:
    return {kind.value: label for kind, label in LABELS.items()}


def _counter(faults: dict[str, int]) -> Counter[str]:
    return Counter(faults)


def commit_id() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or "desconocido"


After = Callable[[ChaosStack, Bus], Awaitable[None]]


async def run(
    config: ChaosConfig, *, say: Callable[[str], None] = print, after: After | None = None
) -> ChaosReport:
    """The run; `after(stack, bus)` runs once the table is made, the stack still up."""
    started = time.monotonic()
    plan = config.plan()
    for line in plan.describe():
        say(f"plan: {line}")
    data_dir = Path(tempfile.mkdtemp(prefix=f"familias-caos-{config.seed}-"))
    keep = config.keep
    stack = await ChaosStack.start(
        data_dir / "datos", time_skipping=config.mode == "ciclo-de-vida", project_dir=PROJECT
    )
    say(f"sistema iniciado en {time.monotonic() - started:.0f} s (datos en {data_dir})")
    report: ChaosReport | None = None
    try:
        bus = await Bus.connect(stack.settings, name="caos", wait_seconds=60)
        try:
            report = await _drive(config, plan, stack, bus, say, started)
            if after is not None:
                await after(stack, bus)
        finally:
            await bus.close()
        report.data_dir = data_dir
        keep = keep or not report.ok
        return report
    except BaseException:
        keep = True
        raise
    finally:
        await stack.stop()
        if keep:
            say(f"datos y registros de la corrida en {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
        if report is not None and config.record:
            with RESULTS.open("a", encoding="utf-8") as results:
                results.write("\n" + report.markdown())


async def _drive(
    config: ChaosConfig,
    plan: FaultPlan,
    stack: ChaosStack,
    bus: Bus,
    say: Callable[[str], None],
    started: float,
) -> ChaosReport:
    notes: list[str] = []
    periods: list[str] = []
    if config.mode == "dinero":
        from tests.chaos.money import MoneyRun

        driver = MoneyRun(
            stack,
            bus,
            plan,
            seed=config.seed,
            families=config.families,
            cycle_timeout=config.cycle_timeout,
            say=say,
        )
        injector = Injector(stack, bus, seed=config.seed, say=say, burst=driver.burst)
        periods = await driver.run(injector)
        notes += [f"ciclo {r.period}: {r.status}, {r.seconds:.0f} s" for r in driver.rounds]
    else:
        from tests.chaos.lifecycle import LifecycleRun

        life = LifecycleRun(stack, bus, plan, seed=config.seed, families=config.families, say=say)
        injector = Injector(stack, bus, seed=config.seed, say=say, burst=life.burst)
        periods = await life.run(injector)
        notes += life.notes
    await stack.heal()
    temporal = await stack.temporal()
    settle = time.monotonic()
    still = await quiesce(stack.settings, bus, config.quiesce_timeout)
    say(f"asentado en {time.monotonic() - settle:.0f} s" + (f"; aún: {still}" if still else ""))
    async with stack.http("payments") as payments:
        observed = await observe(
            stack.settings,
            bus,
            temporal,
            bank_dir=stack.bank_dir,
            cycle_periods=periods,
            payments_http=payments,
        )
    observed.faults = injector.injected
    notes.append(
        f"observado: {len(observed.stream)} mensajes en los streams, "
        f"{len(observed.timelines)} líneas de tiempo, {len(observed.workflows)} flujos, "
        f"{len(observed.orders)} órdenes, {len(observed.bank_debits)} débitos del banco, "
        f"{sum(len(v) for v in observed.applied.values())} eventos en las bandejas de entrada"
    )
    results = invariants.check(observed)
    return ChaosReport(
        config=config,
        results=results,
        faults=dict(injector.injected),
        seconds=time.monotonic() - started,
        commit=commit_id(),
        data_dir=None,
        plan=plan.describe(),
        notes=notes,
        still_moving=still,
    )


def run_sync(config: ChaosConfig, say: Callable[[str], None] = print) -> ChaosReport:
    return asyncio.run(run(config, say=say))
