"""Payments on the bus: the commands it answers, the events it listens to."""

from __future__ import annotations

import asyncio
from uuid import UUID

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.bank.http import HttpBankAdapter
from services.payments.cycle import AlertBounds, cycle_service
from services.payments.entitlements import entitlement_service
from services.payments.holds import hold_service
from services.payments.payees import payee_service
from services.payments.periods import parse_period
from services.payments.reconciliation import reconciliation_service
from services.payments.submission import BankSubmitter
from services.payments.tariff_store import tariff_service
from shared.bus.consumer import consume
from shared.contracts import subjects
from shared.contracts.envelope import Envelope
from shared.contracts.payments import (
    BatchesBuilt,
    BatchSubmitted,
    BuildBatches,
    CloseCycle,
    CycleOpened,
    CycleProgress,
    EntitlementRegistered,
    GetCycleProgress,
    HoldPayments,
    ListUnsentBatches,
    OpenCycle,
    PaymentsHeld,
    PollBank,
    RegisterEntitlement,
    SubmitBatch,
    UnsentBatches,
)
from shared.db.idempotency import run_once
from shared.db.inbox import first_delivery
from shared.runtime import ServiceRuntime

CONSUMER = "payments"
QUEUE = "payments"


async def register_handlers(runtime: ServiceRuntime) -> None:
    # The packaged file is validated at start (a bad row stops the service, loudly) and
    # merged with what administrators uploaded; rows already present are kept.
    async with runtime.sessions() as session, session.begin():
        await tariff_service.merge_packaged(session)
    settings = runtime.settings
    http = httpx.AsyncClient(timeout=settings.bank_timeout_seconds)
    bank = HttpBankAdapter(settings.service_url("bank"), http)
    runtime.on_stop(http.aclose)
    alerts = AlertBounds.of(settings)
    # Files go to the bank from here, not from the cycle's requests (submission.py).
    submitter = BankSubmitter(runtime.sessions, bank, settings)
    runtime.run_in_background("bank-submitter", submitter.run)

    async def register(command: RegisterEntitlement) -> EntitlementRegistered:
        async def apply(session: AsyncSession) -> EntitlementRegistered:
            tariffs = await tariff_service.current(session)
            return await entitlement_service.register(session, command, tariffs)

        return await run_once(runtime.sessions, command, EntitlementRegistered, apply)

    async def hold(command: HoldPayments) -> PaymentsHeld:
        async def apply(session: AsyncSession) -> PaymentsHeld:
            return await hold_service.set(
                session,
                command.family_id,
                hold=command.hold,
                reason=command.reason,
                actor=command.actor,
            )

        return await run_once(runtime.sessions, command, PaymentsHeld, apply)

    async def open_cycle(command: OpenCycle) -> CycleOpened:
        async with runtime.sessions() as session, session.begin():
            return await cycle_service.open(
                session,
                parse_period(command.period),
                in_person_expiry_months=settings.payments_in_person_expiry_months,
            )

    async def build(command: BuildBatches) -> BatchesBuilt:
        return await cycle_service.build_batches(
            runtime.sessions,
            parse_period(command.period),
            size=settings.payments_batch_size,
            max_batches=command.max_batches,
            include_unsent=command.include_unsent,
        )

    async def unsent(query: ListUnsentBatches) -> UnsentBatches:
        async with runtime.sessions() as session:
            ids = await cycle_service.unsent(session, parse_period(query.period))
        return UnsentBatches(batch_ids=ids)

    async def submit(command: SubmitBatch) -> BatchSubmitted:
        async with runtime.sessions() as session, session.begin():
            submitted = await cycle_service.submit_batch(
                session, command.batch_id, settings, now=runtime.clock()
            )
        submitter.queued()
        return submitted

    async def poll(command: PollBank) -> CycleProgress:
        await reconciliation_service.poll(
            runtime.sessions, bank, max_rejects=settings.payments_max_rejects
        )
        async with runtime.sessions() as session:
            return await cycle_service.progress(
                session, parse_period(command.period), alerts=alerts
            )

    async def close(command: CloseCycle) -> CycleProgress:
        period = parse_period(command.period)
        async with runtime.sessions() as session, session.begin():
            await cycle_service.close(session, period)
        async with runtime.sessions() as session:
            return await cycle_service.progress(session, period, alerts=alerts)

    async def get_progress(query: GetCycleProgress) -> CycleProgress:
        async with runtime.sessions() as session:
            return await cycle_service.progress(session, parse_period(query.period), alerts=alerts)

    serve = runtime.bus.serve
    await serve(subjects.ENTITLEMENT_REGISTER, RegisterEntitlement, register, queue=QUEUE)
    await serve(subjects.PAYMENTS_HOLD, HoldPayments, hold, queue=QUEUE)
    await serve(subjects.CYCLE_OPEN, OpenCycle, open_cycle, queue=QUEUE)
    await serve(subjects.CYCLE_BUILD, BuildBatches, build, queue=QUEUE)
    await serve(subjects.BATCHES_UNSENT, ListUnsentBatches, unsent, queue=QUEUE)
    await serve(subjects.BATCH_SUBMIT, SubmitBatch, submit, queue=QUEUE)
    await serve(subjects.BANK_POLL, PollBank, poll, queue=QUEUE)
    await serve(subjects.CYCLE_CLOSE, CloseCycle, close, queue=QUEUE)
    await serve(subjects.CYCLE_PROGRESS, GetCycleProgress, get_progress, queue=QUEUE)

    async def intake_events(stop: asyncio.Event) -> None:
        await consume(
            runtime.bus,
            owner="intake",
            durable=CONSUMER,
            handler=lambda envelope: apply_event(runtime, envelope),
            stop=stop,
        )

    runtime.run_in_background("intake-events", intake_events)


PAYEE_EVENTS = {subjects.FAMILY_COMMITTED, subjects.FAMILY_REPRESENTATIVE_CHANGED}


async def apply_event(runtime: ServiceRuntime, envelope: Envelope) -> None:
    """Keep the payee in step with intake's representative (asked of intake: ids on the bus)."""
    if envelope.subject not in PAYEE_EVENTS or envelope.family_id is None:
        return
    family_id = UUID(str(envelope.family_id))
    # Asked first, outside the transaction: if intake is down this raises and nothing is
    # recorded, so the event counts as not delivered.
    representative = await payee_service.representative_in_intake(runtime.bus, family_id)
    async with runtime.sessions() as session, session.begin():
        if not await first_delivery(session, CONSUMER, envelope):
            return
        if representative is None:
            return
        await payee_service.set_representative(
            session,
            family_id,
            member_id=representative.member_id,
            run=representative.run,
            name=representative.name,
        )
