"""Payment issues: what the bank contradicts, resolved by the payments officer.

Reconciliation opens them (`reconciliation.py`); until one is resolved the bank's statement
decides — a debited order counts as paid and is never sent again — and the issue shows in
the cycle's progress (`familias pagos avance`) and in the month's cuadratura. Resolving is
a person's decision, audited: `pagada` (the debit stands), `no_pagada` (the bank gave the
money back: the order is owed again, the books say so, the next cycle pays it) or
`revisado`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from services.payments.events import money_event
from services.payments.labels import ISSUE_KINDS, RESOLUTIONS
from services.payments.ledger import BANK, PAYABLE, Posting, ledger_service
from services.payments.models import PaymentIssue
from services.payments.repository import issues as repository
from services.payments.repository.issues import NewIssue
from shared.contracts.payments import TransferRejected
from shared.db.audit import record_audit
from shared.db.outbox import add_events
from shared.errors import Conflict, NotFound, ValidationFailed

ALLOWED = {
    "cargo_tras_rechazo": ("pagada", "no_pagada"),
    "rechazo_tras_cargo": ("pagada", "no_pagada"),
    "segundo_cargo": ("no_pagada", "revisado"),
    "archivo_rechazado": ("revisado",),
}


class IssueService:
    async def open(self, session: AsyncSession, kind: str, issues: Sequence[NewIssue]) -> int:
        return await repository.add(session, kind, issues) if issues else 0

    async def listed(
        self, session: AsyncSession, *, status: str, period: date | None, limit: int
    ) -> Sequence[PaymentIssue]:
        """Open, resolved or all issues (of one month, or all), oldest first."""
        return await repository.listed(session, status=status, period=period, limit=limit)

    async def resolve(
        self,
        session: AsyncSession,
        issue_id: UUID,
        resolution: str,
        *,
        notes: str | None,
        actor: str,
    ) -> PaymentIssue:
        issue = await repository.get(session, issue_id, lock=True)
        if issue is None:
            raise NotFound("No existe ese problema de pago")
        if issue.resolved_at is not None:
            raise Conflict(
                f"El problema ya fue resuelto como «{issue.resolution}» por {issue.resolved_by}"
            )
        allowed = ALLOWED.get(issue.kind, ("revisado",))
        if resolution not in allowed:
            raise ValidationFailed(
                f"Un problema «{ISSUE_KINDS.get(issue.kind, issue.kind)}» se resuelve como "
                + " o ".join(f"«{a}»" for a in allowed)
            )
        if resolution == "no_pagada":
            await self._money_returned(session, issue, actor=actor)
        await repository.resolve(session, issue.id, resolution=resolution, actor=actor, notes=notes)
        await record_audit(
            session,
            actor=actor,
            action="problema_de_pago_resuelto",
            entity="problema_de_pago",
            entity_id=issue.id,
            kind=issue.kind,
            resolution=resolution,
            order_id=str(issue.order_id) if issue.order_id else None,
        )
        await session.refresh(issue)
        return issue

    async def _money_returned(
        self, session: AsyncSession, issue: PaymentIssue, *, actor: str
    ) -> None:
        """The bank gave the debit back (or never made it): undo what the debit did."""
        if issue.end_to_end_id is None:
            raise ValidationFailed("Este problema no es de una transferencia")
        line = await repository.line_of(session, issue.end_to_end_id)
        if line is None:
            raise NotFound("No existe la transferencia del problema")
        if issue.kind == "segundo_cargo":
            await repository.drop_second_debit(
                session, line.id, f"segundo cargo devuelto por el banco ({actor})"
            )
            return
        reason = f"el banco devolvió el cargo {line.bank_reference}; se paga de nuevo"
        if line.status != "settled" or not await repository.return_debit(session, line.id, reason):
            raise Conflict(
                f"La transferencia {line.end_to_end_id} ya no figura pagada "
                f"({RESOLUTIONS.get('no_pagada')}): revise la orden de la familia"
            )
        await ledger_service.post(
            session,
            [
                Posting.of(
                    line,
                    BANK,
                    PAYABLE,
                    order_id=line.order_id,
                    reference=f"devuelto:{line.bank_reference}",
                )
            ],
        )
        await add_events(session, [money_event(TransferRejected, line, reason=reason)])


issue_service = IssueService()
