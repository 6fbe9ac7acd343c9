"""The month's payment cycle, step by step, as the PaymentCycle workflow asks for it.

Every step works from the state of orders, lines and batches in the database, so asking
twice is harmless: building takes only `pending` orders (`FOR UPDATE SKIP LOCKED`, so two
builders never take the same order), a batch's file is written once and resubmitting it
is safe (the bank knows its MsgId), and each bank message is applied once
(`reconciliation.py`). Batches are built with one set-based statement each — at 150,000
orders a row-per-object ORM loop would dominate the cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.payments.bank import BankAdapter, Debtor, Payee, PaymentFile, Transfer
from services.payments.bankfile import write_pain001, write_payroll_csv
from services.payments.in_person import in_person_service
from services.payments.labels import CONCEPTS
from services.payments.models import Batch, BatchLine, PaymentCycle, PaymentOrder
from services.payments.repository import cycles as repository
from shared.contracts.payments import (
    BatchesBuilt,
    BatchSubmitted,
    CycleOpened,
    CycleProgress,
)
from shared.errors import NotFound, ValidationFailed
from shared.settings import Settings


async def open_cycle(session: AsyncSession, period: date, settings: Settings) -> CycleOpened:
    """Record the cycle (once) and expire in-person payments unclaimed past the limit."""
    await session.execute(insert(PaymentCycle).values(period=period).on_conflict_do_nothing())
    expired = await in_person_service.expire(
        session, period, settings.payments_in_person_expiry_months
    )
    counts = {
        state: (int(n), int(amount))
        for state, n, amount in (
            await session.execute(
                select(
                    PaymentOrder.state,
                    func.count(),
                    func.coalesce(func.sum(PaymentOrder.amount), 0),
                )
                .where(PaymentOrder.period <= period, PaymentOrder.state.in_(("pending", "held")))
                .group_by(PaymentOrder.state)
            )
        ).all()
    }
    without_payee = (
        await session.execute(
            text(
                "SELECT count(*) FROM payment_orders o WHERE o.state = 'pending' "
                "AND o.period <= :period "
                "AND NOT EXISTS (SELECT 1 FROM payees p WHERE p.family_id = o.family_id)"
            ),
            {"period": period},
        )
    ).scalar_one()
    return CycleOpened(
        period=f"{period:%Y-%m}",
        pending_orders=counts.get("pending", (0, 0))[0],
        pending_amount=counts.get("pending", (0, 0))[1],
        held_orders=counts.get("held", (0, 0))[0],
        without_payee=int(without_payee),
        expired=expired,
    )


BUILD_LINES = text(
    """
    WITH picked AS (
        SELECT o.id FROM payment_orders o
        JOIN payees p ON p.family_id = o.family_id
        WHERE o.state = 'pending' AND o.period <= :period
          AND p.channel = :channel
        ORDER BY o.period, o.id
        LIMIT :size
        FOR UPDATE OF o SKIP LOCKED
    ), moved AS (
        UPDATE payment_orders o
        SET state = 'in_batch', attempts = o.attempts + 1, updated_at = now()
        FROM picked WHERE o.id = picked.id
        RETURNING o.id, o.family_id, o.period, o.concept, o.amount, o.attempts
    )
    INSERT INTO batch_lines (
        id, batch_id, order_id, family_id, period, concept, end_to_end_id, amount, channel,
        run, name, bank_code, account_kind, account_number, status, created_at, updated_at
    )
    SELECT gen_random_uuid(), :batch_id, m.id, m.family_id, m.period, m.concept,
           replace(m.id::text, '-', '') || '-' || m.attempts, m.amount, p.channel,
           p.run, p.name, p.bank_code, p.account_kind, p.account_number,
           CASE WHEN p.channel = 'presencial' THEN 'available' ELSE 'sent' END, now(), now()
    FROM moved m JOIN payees p ON p.family_id = m.family_id
    RETURNING amount
    """
)


async def build_one_batch(
    session: AsyncSession, period: date, channel: str, size: int
) -> tuple[UUID, int, int] | None:
    """One batch in the caller's transaction: the lines copy the payee as it is now."""
    batch_id = uuid4()
    message_id = f"FAM-{period:%Y%m}-{batch_id.hex[:20].upper()}"
    await session.execute(
        insert(Batch).values(
            id=batch_id,
            cycle_period=period,
            message_id=message_id,
            channel=channel,
            count=0,
            control_sum=0,
            state="built",
        )
    )
    amounts = (
        (
            await session.execute(
                BUILD_LINES,
                {"period": period, "channel": channel, "size": size, "batch_id": batch_id},
            )
        )
        .scalars()
        .all()
    )
    if not amounts:
        await session.execute(text("DELETE FROM batches WHERE id = :id"), {"id": batch_id})
        return None
    total = sum(int(a) for a in amounts)
    await session.execute(
        update(Batch).where(Batch.id == batch_id).values(count=len(amounts), control_sum=total)
    )
    return batch_id, len(amounts), total


async def build_batches(
    sessions: async_sessionmaker[AsyncSession],
    period: date,
    *,
    size: int,
    max_batches: int,
    include_unsent: bool = False,
) -> BatchesBuilt:
    """Build up to `max_batches` batches, each committed on its own."""
    built: list[UUID] = []
    orders = amount = 0
    async with sessions() as session:
        if await session.get(PaymentCycle, period) is None:
            raise NotFound(f"El ciclo {period:%Y-%m} no ha sido abierto")
        if include_unsent:
            for batch in await session.scalars(
                select(Batch).where(Batch.cycle_period == period, Batch.state == "built")
            ):
                built.append(batch.id)
                orders += batch.count
                amount += batch.control_sum
    for channel in ("transferencia", "presencial"):
        while len(built) < max_batches:
            async with sessions() as session, session.begin():
                result = await build_one_batch(session, period, channel, size)
            if result is None:
                break
            built.append(result[0])
            orders += result[1]
            amount += result[2]
    more = len(built) >= max_batches
    return BatchesBuilt(batch_ids=built, more=more, orders=orders, amount=amount)


def payment_file(batch: Batch, lines: list[BatchLine], settings: Settings) -> PaymentFile:
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    return PaymentFile(
        message_id=batch.message_id,
        created_at=batch.created_at if batch.created_at.tzinfo else datetime.now(UTC),
        execution_date=max(today, batch.cycle_period),
        debtor=Debtor(
            name=settings.payments_debtor_name,
            rut=settings.payments_debtor_rut,
            bank_code=settings.payments_debtor_bank,
            account_number=settings.payments_debtor_account,
        ),
        transfers=tuple(
            Transfer(
                end_to_end_id=line.end_to_end_id,
                amount=line.amount,
                payee=Payee(
                    rut=f"{line.run[:-1]}-{line.run[-1]}",
                    name=line.name,
                    bank_code=line.bank_code,
                    account_kind=line.account_kind,  # type: ignore[arg-type]
                    account_number=line.account_number,
                ),
                remittance=f"{CONCEPTS.get(line.concept, line.concept)} {line.period:%Y-%m}",
            )
            for line in lines
        ),
    )


async def render_batch(session: AsyncSession, batch_id: UUID, settings: Settings) -> Batch:
    """Write the batch's file once; a retry finds it written and keeps it byte for byte."""
    batch = await session.get(Batch, batch_id, with_for_update=True)
    if batch is None:
        raise NotFound("Lote no encontrado")
    if batch.content is not None:
        return batch
    lines = list(
        (
            await session.execute(
                select(BatchLine)
                .where(BatchLine.batch_id == batch_id)
                .order_by(BatchLine.end_to_end_id)
            )
        ).scalars()
    )
    document = payment_file(batch, lines, settings)
    if document.count != batch.count or document.control_sum != batch.control_sum:
        raise ValidationFailed("Los totales de control del lote no cuadran con sus líneas")
    if batch.channel == "presencial":
        batch.content = write_payroll_csv(document)
        batch.file_name = f"{batch.message_id}.csv"
    else:
        batch.content = write_pain001(document)
        batch.file_name = f"{batch.message_id}.xml"
    return batch


async def submit_batch(
    sessions: async_sessionmaker[AsyncSession],
    batch_id: UUID,
    bank: BankAdapter,
    settings: Settings,
) -> BatchSubmitted:
    async with sessions() as session, session.begin():
        batch = await render_batch(session, batch_id, settings)
        message_id, file_name, content = batch.message_id, batch.file_name, batch.content
        channel, count, control_sum = batch.channel, batch.count, batch.control_sum
    assert file_name is not None
    assert content is not None
    receipt: str | None = None
    if channel == "transferencia":
        # Outside any transaction: the bank may be slow. A timeout raises and the activity
        # retries; the bank answers a known MsgId with the same receipt, never a 2nd payment.
        receipt = await bank.submit(file_name, content)
    async with sessions() as session, session.begin():
        await session.execute(
            update(Batch)
            .where(Batch.id == batch_id, Batch.state == "built")
            .values(state="submitted", receipt=receipt, submitted_at=func.now())
        )
    return BatchSubmitted(
        batch_id=batch_id,
        message_id=message_id,
        receipt=receipt,
        count=count,
        control_sum=control_sum,
    )


async def close_cycle(session: AsyncSession, period: date) -> None:
    await session.execute(
        update(PaymentCycle)
        .where(PaymentCycle.period == period, PaymentCycle.closed_at.is_(None))
        .values(closed_at=func.now())
    )


async def progress(session: AsyncSession, period: date) -> CycleProgress:
    cycle = await session.get(PaymentCycle, period)
    if cycle is None:
        raise NotFound(f"No hay ciclo de pagos para {period:%Y-%m}")
    rows = (
        await session.execute(
            text(
                "SELECT l.status, coalesce(l.reason_text, ''), count(*), sum(l.amount) "
                "FROM batch_lines l JOIN batches b ON b.id = l.batch_id "
                "WHERE b.cycle_period = :period GROUP BY 1, 2"
            ),
            {"period": period},
        )
    ).all()
    by_status: dict[str, tuple[int, int]] = {}
    reasons: dict[str, int] = {}
    for status, reason, count, amount in rows:
        n, a = by_status.get(status, (0, 0))
        by_status[status] = (n + int(count), a + int(amount))
        if status == "rejected":
            reasons[reason or "sin motivo"] = reasons.get(reason or "sin motivo", 0) + int(count)
    batches = await session.scalar(
        select(func.count()).select_from(Batch).where(Batch.cycle_period == period)
    )
    problems = (
        (
            await session.execute(
                text(
                    "SELECT problems FROM bank_messages m WHERE problems IS NOT NULL "
                    "AND applied_at >= :since ORDER BY cursor"
                ),
                {"since": cycle.cut_off_at},
            )
        )
        .scalars()
        .all()
    )

    def get(status: str) -> tuple[int, int]:
        return by_status.get(status, (0, 0))

    transfers = sum(n for n, _ in by_status.values())
    return CycleProgress(
        period=f"{period:%Y-%m}",
        batches=int(batches or 0),
        transfers=transfers,
        amount=sum(a for _, a in by_status.values()),
        in_flight=get("sent")[0] + get("accepted")[0],
        accepted=get("accepted")[0],
        settled=get("settled")[0] + get("claimed")[0],
        settled_amount=get("settled")[1] + get("claimed")[1],
        rejected=get("rejected")[0],
        rejected_amount=get("rejected")[1],
        rejected_by_reason=reasons,
        in_person_available=get("available")[0],
        expired=get("expired")[0],
        problems=[p for p in problems if p],
        closed=cycle.closed_at is not None,
    )


async def transfers(session: AsyncSession, period: date, status: str, limit: int) -> Sequence[Any]:
    """The cycle's transfers in one status, rejections grouped by reason."""
    return await repository.lines_in_status(session, period, status, limit)
