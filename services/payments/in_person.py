"""In-person payments (Caja Los Héroes / BancoEstado counters): collected according to the
counter's report, or expired — renounced — when unclaimed past the policy's months."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.events import money_event
from services.payments.labels import LINE_STATES
from services.payments.ledger import BANK, EXPIRED, PAYABLE, Posting, ledger_service
from services.payments.periods import add_months
from services.payments.repository import in_person as repository
from services.payments.repository import orders
from services.payments.repository.records import ClaimedLine
from shared.contracts.payments import TransferExpired, TransferSettled
from shared.db.audit import record_audit
from shared.db.outbox import add_events
from shared.errors import Conflict, NotFound


class InPersonService:
    async def claim(
        self, session: AsyncSession, reference: str, *, actor: str, today: date
    ) -> ClaimedLine:
        """The family collected the payment `today`: the order is paid, as by a settlement."""
        line = await repository.claim(session, reference, today)
        if line is None:
            found = await repository.line_by_reference(session, reference)
            if found is None:
                raise NotFound("No existe un pago con esa referencia")
            raise Conflict(
                f"El pago no se puede cobrar: está {LINE_STATES.get(found.status, found.status)}"
            )
        await orders.mark_settled(session, line.order_id)
        reference_in_books = f"caja:{line.id}"
        await ledger_service.post(
            session,
            [Posting.of(line, PAYABLE, BANK, order_id=line.order_id, reference=reference_in_books)],
        )
        await add_events(
            session, [money_event(TransferSettled, line, bank_reference=reference_in_books)]
        )
        await record_audit(
            session, actor=actor, action="pago_presencial_cobrado", entity="pago", entity_id=line.id
        )
        return line

    async def expire(self, session: AsyncSession, period: date, months: int) -> int:
        """In-person payments unclaimed for `months` expire and count as renounced."""
        rows = await repository.expire_unclaimed(session, add_months(period, -months))
        await ledger_service.post(
            session,
            [
                Posting.of(r, PAYABLE, EXPIRED, order_id=r.id, reference=f"caducado:{r.id}")
                for r in rows
            ],
        )
        await add_events(session, [money_event(TransferExpired, r) for r in rows])
        return len(rows)


in_person_service = InPersonService()
