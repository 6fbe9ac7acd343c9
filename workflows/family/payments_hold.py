"""What payments must hold: the family's orders wait while the process is paused or an
abandonment procedure is open, and go back to the next cycle when it resumes."""

from __future__ import annotations

from shared.contracts.payments import HoldPayments, PaymentsHeld
from workflows.family.state import FamilyState


def payments_hold_wanted(state: FamilyState) -> bool | None:
    """Whether payments should hold the family's orders now; None when nothing changes.

    A closed family keeps what it had (its held orders are the payments officer's to settle).
    """
    if state.closed:
        return None
    wanted = state.paused or state.abandonment is not None
    return None if wanted == state.payments_held else wanted


def hold_request(state: FamilyState, hold: bool) -> HoldPayments:
    """The command for the family's next hold change; its key numbers the changes so far,
    so a retried activity repeats the same command."""
    changes = sum(1 for e in state.timeline if e.kind == "retencion")
    reason = "proceso en pausa" if state.paused else "procedimiento de abandono abierto"
    return HoldPayments(
        idempotency_key=f"{state.family_id}:retencion:{changes + 1}",
        family_id=state.family_id,
        hold=hold,
        reason=reason if hold else "proceso reanudado",
    )


def hold_line(request: HoldPayments, held: PaymentsHeld) -> str:
    if request.hold:
        return f"Pagos retenidos ({request.reason}): {held.orders_changed} órdenes en espera"
    return f"Pagos liberados: {held.orders_changed} órdenes vuelven al próximo ciclo"
