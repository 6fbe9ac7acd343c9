"""The month's payment cycle, step by step, as the PaymentCycle workflow asks for it.

Every step works from the state of orders, lines and batches in the database, so asking
twice is harmless: building takes only `pending` orders (`FOR UPDATE SKIP LOCKED`, so two
builders never take the same order), a batch's file is written once and resubmitting it
is safe (the bank knows its MsgId), and each bank message is applied once
(`reconciliation.py`). Batches are built with one set-based statement each — at 150,000
orders a row-per-object ORM loop would dominate the cycle.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.payments.bank import Debtor, Payee, PaymentFile, Transfer
from services.payments.bankfile import write_pain001, write_payroll_csv
from services.payments.in_person import in_person_service
from services.payments.issue_reports import open_problems
from services.payments.labels import CONCEPTS
from services.payments.ledger import BalanceReport, ledger_service
from services.payments.models import Batch, BatchLine
from services.payments.repository import cycles as repository
from services.payments.repository import issues, orders
from services.payments.repository.records import TransferLine
from shared.clock import local_day
from shared.contracts.payments import (
    BatchesBuilt,
    BatchSubmitted,
    CycleOpened,
    CycleProgress,
)
from shared.errors import NotFound, ValidationFailed
from shared.settings import Settings


def payment_file(
    batch: Batch, lines: list[BatchLine], settings: Settings, *, now: datetime
) -> PaymentFile:
    """The batch as the bank reads it, paid on its month's first day or `now`'s if later."""
    return PaymentFile(
        message_id=batch.message_id,
        created_at=batch.created_at if batch.created_at.tzinfo else now,
        execution_date=max(local_day(now, settings.timezone), batch.cycle_period),
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


# One build request stops starting batches after this long and answers `more`: at
# 150,000 orders a batch takes up to ~0.4 s, so a request stays well inside its timeout.
BUILD_BUDGET_SECONDS = 10.0


@dataclass(frozen=True)
class AlertBounds:
    """How long a batch may wait built-but-unsent, and a transfer sent without a final
    answer, before the progress and the cuadratura flag them (settings)."""

    unsent_after_seconds: float
    in_flight_after_seconds: float

    @classmethod
    def of(cls, settings: Settings) -> AlertBounds:
        return cls(
            settings.payments_unsent_alert_minutes * 60,
            settings.payments_in_flight_alert_hours * 3600,
        )

    async def flags(
        self, session: AsyncSession, period: date, *, of_month: bool
    ) -> tuple[int, int]:
        """(orders stranded in unsent batches, transfers overdue at the bank)."""
        stranded = await repository.stranded_orders(
            session, period, older_than_seconds=self.unsent_after_seconds, of_month=of_month
        )
        overdue = await repository.overdue_in_flight(
            session, period, older_than_seconds=self.in_flight_after_seconds, of_month=of_month
        )
        return stranded, overdue

    def problems(self, stranded: int, overdue: int) -> list[str]:
        found = []
        if stranded:
            found.append(
                f"{stranded} órdenes en lotes armados y no recibidos por el banco hace más de "
                f"{self.unsent_after_seconds / 60:g} minutos: se deben enviar (el ciclo los "
                "envía al leer el banco; si no corre, familias pagos ciclo … --reiniciar)"
            )
        if overdue:
            found.append(
                f"{overdue} transferencias sin respuesta final del banco hace más de "
                f"{self.in_flight_after_seconds / 3600:g} horas: consultar al banco"
            )
        return found


class CycleService:
    async def open(
        self, session: AsyncSession, period: date, *, in_person_expiry_months: int
    ) -> CycleOpened:
        """Record the cycle (once) and expire in-person payments unclaimed past the limit."""
        await repository.open_once(session, period)
        expired = await in_person_service.expire(session, period, in_person_expiry_months)
        waiting = await orders.waiting_up_to(session, period)
        return CycleOpened(
            period=f"{period:%Y-%m}",
            pending_orders=waiting.get("pending", (0, 0))[0],
            pending_amount=waiting.get("pending", (0, 0))[1],
            held_orders=waiting.get("held", (0, 0))[0],
            without_payee=await repository.pending_without_payee(session, period),
            expired=expired,
        )

    async def build_one_batch(
        self, session: AsyncSession, period: date, channel: str, size: int
    ) -> tuple[UUID, int, int] | None:
        """One batch in the caller's transaction: the lines copy the payee as it is now."""
        batch_id = uuid4()
        message_id = f"FAM-{period:%Y%m}-{batch_id.hex[:20].upper()}"
        await repository.add_batch(session, batch_id, period, message_id, channel)
        amounts = await repository.fill_batch(session, batch_id, period, channel, size)
        if not amounts:
            await repository.drop_batch(session, batch_id)
            return None
        total = sum(int(a) for a in amounts)
        await repository.set_batch_totals(session, batch_id, len(amounts), total)
        return batch_id, len(amounts), total

    async def build_batches(
        self,
        sessions: async_sessionmaker[AsyncSession],
        period: date,
        *,
        size: int,
        max_batches: int,
        include_unsent: bool = False,
        budget_seconds: float = BUILD_BUDGET_SECONDS,
    ) -> BatchesBuilt:
        """Build up to `max_batches` batches, each committed on its own, and stop early when
        the time budget is spent (`more`: ask again), so one request stays short. A batch
        committed by a call whose answer is lost is found later by its state
        (`unsent_batch_ids`)."""
        deadline = time.monotonic() + budget_seconds
        built: list[UUID] = []
        count = amount = 0
        async with sessions() as session:
            if await repository.get(session, period) is None:
                raise NotFound(f"El ciclo {period:%Y-%m} no ha sido abierto")
            if include_unsent:
                for batch in await repository.unsent_batches(session, period):
                    built.append(batch.id)
                    count += batch.count
                    amount += batch.control_sum
        out_of_time = False
        for channel in ("transferencia", "presencial"):
            while len(built) < max_batches and not out_of_time:
                async with sessions() as session, session.begin():
                    result = await self.build_one_batch(session, period, channel, size)
                if result is None:
                    break
                built.append(result[0])
                count += result[1]
                amount += result[2]
                out_of_time = time.monotonic() >= deadline
        more = len(built) >= max_batches or out_of_time
        return BatchesBuilt(batch_ids=built, more=more, orders=count, amount=amount)

    async def unsent(self, session: AsyncSession, period: date) -> list[UUID]:
        """Batches built and never asked to be sent, of this cycle or an earlier one."""
        return list(await repository.unsent_batch_ids(session, period))

    async def render_batch(
        self, session: AsyncSession, batch_id: UUID, settings: Settings, *, now: datetime
    ) -> Batch:
        """Write the batch's file once; a retry finds it written and keeps it byte for byte."""
        batch = await repository.get_batch(session, batch_id, lock=True)
        if batch is None:
            raise NotFound("Lote no encontrado")
        if batch.content is not None:
            return batch
        lines = await repository.batch_lines(session, batch_id)
        document = payment_file(batch, lines, settings, now=now)
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
        self, session: AsyncSession, batch_id: UUID, settings: Settings, *, now: datetime
    ) -> BatchSubmitted:
        """Write the batch's file (once) and record that it must be sent: a transfer file is
        queued for the submitter (`submission.py`), which hands it to the bank; an
        in-person nómina goes to the counters as it is. Answers at once; asking again is
        harmless, and a file the bank refused is never queued again."""
        batch = await self.render_batch(session, batch_id, settings, now=now)
        if batch.state == "built":
            if batch.channel == "transferencia":
                await repository.queue_batch(session, batch_id)
            else:
                await repository.mark_submitted(session, batch_id, None)
            await session.flush()
            await session.refresh(batch)
        return BatchSubmitted(
            batch_id=batch_id,
            message_id=batch.message_id,
            receipt=batch.receipt,
            count=batch.count,
            control_sum=batch.control_sum,
            state=batch.state,
        )

    async def close(self, session: AsyncSession, period: date) -> None:
        await repository.close(session, period)

    async def progress(
        self, session: AsyncSession, period: date, *, alerts: AlertBounds
    ) -> CycleProgress:
        cycle = await repository.get(session, period)
        if cycle is None:
            raise NotFound(f"No hay ciclo de pagos para {period:%Y-%m}")
        by_status: dict[str, tuple[int, int]] = {}
        reasons: dict[str, int] = {}
        for status, reason, count, amount in await repository.lines_by_status_and_reason(
            session, period
        ):
            n, a = by_status.get(status, (0, 0))
            by_status[status] = (n + int(count), a + int(amount))
            if status == "rejected":
                why = reason or "sin motivo"
                reasons[why] = reasons.get(why, 0) + int(count)
        problems = [p for p in await repository.bank_problems_since(session, cycle.cut_off_at) if p]
        states = await repository.batch_states(session, period)
        stranded, overdue = await alerts.flags(session, period, of_month=False)
        problems += alerts.problems(stranded, overdue)
        problems += await open_problems(session)

        def get(status: str) -> tuple[int, int]:
            return by_status.get(status, (0, 0))

        return CycleProgress(
            period=f"{period:%Y-%m}",
            batches=await repository.batch_count(session, period),
            transfers=sum(n for n, _ in by_status.values()),
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
            problems=problems,
            open_issues=await issues.count_open(session),
            unsent_batches=states.get("built", 0),
            queued_batches=states.get("queued", 0),
            submitted_batches=states.get("submitted", 0),
            refused_batches=states.get("refused", 0),
            stranded_orders=stranded,
            overdue_in_flight=overdue,
            closed=cycle.closed_at is not None,
        )

    async def books(
        self, session: AsyncSession, period: date, *, alerts: AlertBounds
    ) -> BalanceReport:
        """The month's cuadratura, with the orders of the month stuck on the way to the
        bank (or at the bank) past the alert bounds among its problems."""
        stranded, overdue = await alerts.flags(session, period, of_month=True)
        return await ledger_service.balance_report(
            session, period, alerts=alerts.problems(stranded, overdue)
        )

    async def transfers(
        self, session: AsyncSession, period: date, status: str, limit: int
    ) -> Sequence[TransferLine]:
        """The cycle's transfers in one status, rejections grouped by reason."""
        return await repository.lines_in_status(session, period, status, limit)


cycle_service = CycleService()
