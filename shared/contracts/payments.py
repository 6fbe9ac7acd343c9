"""Commands and events owned by the payments service."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from shared.contracts import subjects
from shared.contracts.envelope import CommandRequest, Contract, EventData

PERIOD_PATTERN = r"^\d{4}-\d{2}$"


class RegisterEntitlement(CommandRequest):
    """From the family workflow at the start of each plan month.

    Idempotency key `{family_id}:{YYYY-MM}:{concept}`: a retried activity gets the first
    answer; the same key with another request is refused, never applied.
    """

    subject: ClassVar[str] = subjects.ENTITLEMENT_REGISTER

    family_id: UUID
    period: date = Field(description="First day of the calendar month paid")
    plan_month: int = Field(ge=1, le=36)
    concept: Literal["bono_proteccion"] = "bono_proteccion"


class HoldPayments(CommandRequest):
    """From the family workflow: suspend (or resume) the family's payments.

    While the process is paused or an abandonment procedure is open, the family's orders
    are held, never dropped; resumed or reinstated, they wait for the next cycle.
    """

    subject: ClassVar[str] = subjects.PAYMENTS_HOLD

    family_id: UUID
    hold: bool
    reason: str = Field(max_length=300)
    actor: str = Field("sistema", max_length=120)


class PaymentsHeld(Contract):
    family_id: UUID
    held: bool
    orders_changed: int


class EntitlementRegistered(Contract):
    family_id: UUID
    period: date
    plan_month: int
    concept: str
    amount: int = Field(ge=0, description="CLP")
    tariff_source: str


class FamilyMoney(EventData):
    """What every payments event is about: one family's money for a month and concept."""

    family_id: UUID
    period: str = Field(pattern=PERIOD_PATTERN)
    concept: str
    amount: int = Field(ge=0)


class OrderCreated(FamilyMoney):
    """A payment order was recorded for the month: it waits for the month's cycle."""

    subject: ClassVar[str] = subjects.ORDER_CREATED

    order_id: UUID


class TransferSettled(FamilyMoney):
    """The bank paid the family's transfer for a period and concept."""

    subject: ClassVar[str] = subjects.TRANSFER_SETTLED

    bank_reference: str


class TransferRejected(FamilyMoney):
    """The bank rejected the transfer; it is retried next cycle or moved to another channel."""

    subject: ClassVar[str] = subjects.TRANSFER_REJECTED

    reason: str = Field(description="cuenta_cerrada, rut_no_coincide, …")


class TransferExpired(FamilyMoney):
    """An in-person payment unclaimed for 6 months: expired, recorded as renounced."""

    subject: ClassVar[str] = subjects.TRANSFER_EXPIRED


class CycleStep(Contract):
    """A step of the month's payment cycle. Each is idempotent by nature (it works from the
    orders' and batches' state), so a retried activity simply asks again; batch ids
    travel, never lists of orders."""

    period: str = Field(pattern=PERIOD_PATTERN, description="Mes del ciclo, AAAA-MM")


class OpenCycle(CycleStep):
    """Cut-off: record the cycle and expire in-person payments unclaimed for too long."""

    subject: ClassVar[str] = subjects.CYCLE_OPEN


class CycleOpened(Contract):
    period: str
    pending_orders: int
    pending_amount: int
    held_orders: int
    without_payee: int
    expired: int


class BuildBatches(CycleStep):
    """Build up to `max_batches` batches from pending orders (set-based SQL, SKIP LOCKED)."""

    subject: ClassVar[str] = subjects.CYCLE_BUILD

    max_batches: int = Field(20, ge=1, le=1000)
    # A restarted cycle picks up the batches an earlier run built but never sent.
    include_unsent: bool = False


class BatchesBuilt(Contract):
    batch_ids: list[UUID]
    more: bool
    orders: int
    amount: int


class ListUnsentBatches(CycleStep):
    """Every batch built and never sent, by whatever step, attempt or cycle (up to this
    month's) built it: a build retried after committing some batches returned without
    them, so the cycle asks for them by their state."""

    subject: ClassVar[str] = subjects.BATCHES_UNSENT


class UnsentBatches(Contract):
    batch_ids: list[UUID]


class SubmitBatch(Contract):
    """Write the batch's pain.001 (once) and send it to the bank (safe to repeat).

    Payments records the intent and answers at once (`state` queued); its submitter hands
    the file to the bank, retrying with back-off, so no request waits on a slow bank. The
    cycle learns the bank's answers by polling. A refused file is never sent again as is.
    """

    subject: ClassVar[str] = subjects.BATCH_SUBMIT

    batch_id: UUID


class BatchSubmitted(Contract):
    batch_id: UUID
    message_id: str
    receipt: str | None
    count: int
    control_sum: int
    state: str = Field("submitted", description="queued, submitted or refused")


class PollBank(CycleStep):
    """Read the bank's new messages, apply each once, report the cycle's progress."""

    subject: ClassVar[str] = subjects.BANK_POLL


class CloseCycle(CycleStep):
    subject: ClassVar[str] = subjects.CYCLE_CLOSE


class GetCycleProgress(CycleStep):
    subject: ClassVar[str] = subjects.CYCLE_PROGRESS


class CycleProgress(Contract):
    period: str
    batches: int
    transfers: int = Field(description="Líneas enviadas al banco en este ciclo")
    amount: int
    in_flight: int = Field(description="Enviadas sin respuesta final del banco")
    accepted: int
    settled: int
    settled_amount: int
    rejected: int
    rejected_amount: int
    rejected_by_reason: dict[str, int]
    in_person_available: int
    expired: int
    problems: list[str]
    open_issues: int = Field(0, description="Problemas de pago sin resolver (de todos los meses)")
    unsent_batches: int = Field(
        0, description="Lotes armados que nadie ha pedido enviar (de este ciclo o anteriores)"
    )
    queued_batches: int = Field(0, description="Lotes por enviar: esperan el recibo del banco")
    submitted_batches: int = Field(0, description="Lotes recibidos por el banco")
    refused_batches: int = Field(0, description="Archivos rechazados enteros por el banco")
    stranded_orders: int = Field(
        0, description="Órdenes en lotes armados y no enviados pasado el plazo de alerta"
    )
    overdue_in_flight: int = Field(
        0, description="Transferencias enviadas sin respuesta final pasado el plazo de alerta"
    )
    closed: bool


PAYMENT_CYCLE_WORKFLOW = "PaymentCycle"
PAYMENT_CYCLE_SCHEDULED_WORKFLOW = "PaymentCycleScheduled"
PAYMENT_CYCLE_SCHEDULE_ID = "ciclo-de-pagos-mensual"
QUERY_CYCLE_PROGRESS = "progreso"


def payment_cycle_workflow_id(period: str) -> str:
    return f"payment-cycle:{period}"


class PaymentCycleInput(Contract):
    period: str = Field(pattern=PERIOD_PATTERN)
    poll_seconds: float = Field(30.0, gt=0)
    bank_wait_hours: float = Field(72.0, gt=0, description="Espera máxima de respuestas")
    actor: str = "calendario"


class ScheduledCycleInput(Contract):
    """What the monthly Schedule passes: the month is the one the Schedule fires in."""

    poll_seconds: float = Field(30.0, gt=0)
    bank_wait_hours: float = Field(72.0, gt=0)


class PaymentCycleView(Contract):
    """What `progreso` answers: the step the cycle is in and the bank's answers so far."""

    period: str
    step: str
    opened: CycleOpened | None = None
    batches_built: int = 0
    batches_submitted: int = 0
    progress: CycleProgress | None = None
    waiting_since: datetime | None = None
    timed_out: bool = False
    started_by: str = "calendario"
