"""Supervision's view of the others: Temporal for the process, HTTP for the services' data."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

import httpx
from pydantic import BaseModel, ValidationError
from temporalio.client import Client, WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from services.supervision.decisions import UPDATES, Action
from services.supervision.schemas import Dashboard, RunningFamily
from shared.contracts import search
from shared.contracts.lifecycle import (
    QUERY_STATE,
    QUERY_TIMELINE,
    RUNNING_PHASES,
    LifecycleView,
    TimelineEntry,
    family_workflow_id,
)
from shared.contracts.payments import (
    QUERY_CYCLE_PROGRESS,
    PaymentCycleView,
    payment_cycle_workflow_id,
)
from shared.errors import DependencyUnavailable, IllegalTransition, NotFound, error_from_code
from shared.settings import Settings

AnswerT = TypeVar("AnswerT", bound=BaseModel)

# The workflow's running phases as they appear in the `Phase` search attribute.
PHASES = RUNNING_PHASES


@dataclass
class FamilyLifecycleReport:
    state: LifecycleView
    timeline: list[TimelineEntry]


class Lifecycles:
    def __init__(self, client: Client) -> None:
        self.client = client

    async def report(self, family_id: UUID) -> FamilyLifecycleReport:
        handle = self.client.get_workflow_handle(family_workflow_id(family_id))
        try:
            state = await handle.query(QUERY_STATE, result_type=LifecycleView)
            timeline = await handle.query(QUERY_TIMELINE, result_type=list[TimelineEntry])
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise NotFound("La familia aún no tiene proceso en curso") from exc
            raise DependencyUnavailable(f"Temporal no respondió: {exc.message}") from exc
        except WorkflowQueryFailedError as exc:
            raise DependencyUnavailable(f"El proceso de la familia no respondió: {exc}") from exc
        return FamilyLifecycleReport(state=state, timeline=timeline)

    async def listing(
        self, *, phase: str | None, comuna: str | None, overdue: bool, limit: int, now: datetime
    ) -> list[RunningFamily]:
        """Running family workflows from Temporal's visibility (search attributes); overdue:
        their next deadline is before `now`."""
        clauses = ['WorkflowType = "FamilyLifecycle"', 'ExecutionStatus = "Running"']
        if phase:
            clauses.append(f'Phase = "{_quoted(phase)}"')
        if comuna:
            clauses.append(f'Comuna = "{_quoted(comuna)}"')
        if overdue:
            clauses.append(f'NextDeadline < "{visibility_timestamp(now)}"')
        found: list[RunningFamily] = []
        try:
            async for execution in self.client.list_workflows(" AND ".join(clauses), limit=limit):
                attributes = execution.typed_search_attributes
                found.append(
                    RunningFamily(
                        family_id=execution.id.removeprefix("family-lifecycle:"),
                        phase=attributes.get(search.PHASE),
                        comuna=attributes.get(search.COMUNA),
                        plan_month=attributes.get(search.PLAN_MONTH),
                        apoyo_familiar_id=attributes.get(search.APOYO_FAMILIAR),
                        next_deadline=attributes.get(search.NEXT_DEADLINE),
                    )
                )
        except RPCError as exc:
            raise DependencyUnavailable(f"Temporal no respondió: {exc.message}") from exc
        return found

    async def phase_counts(self, *, comuna: str | None, now: datetime) -> Dashboard:
        """Running families per phase, and how many are past their next deadline at `now`."""
        # Phase is only set by FamilyLifecycle; `CloseTime IS NULL` (running) lets SQLite use
        # each attribute's index instead of walking every running workflow (bench tablero).
        base = "CloseTime IS NULL"
        if comuna:
            base += f' AND Comuna = "{_quoted(comuna)}"'
        try:
            per_phase = {
                phase: (await self.client.count_workflows(f'{base} AND Phase = "{phase}"')).count
                for phase in PHASES
            }
            overdue = (
                await self.client.count_workflows(
                    f'{base} AND NextDeadline < "{visibility_timestamp(now)}"'
                )
            ).count
        except RPCError as exc:
            raise DependencyUnavailable(f"Temporal no respondió: {exc.message}") from exc
        return Dashboard(by_phase=per_phase, total=sum(per_phase.values()), overdue=overdue)

    async def update(self, family_id: UUID, action: Action, argument: BaseModel) -> LifecycleView:
        """Run an operator's decision; a validator's refusal comes back as IllegalTransition."""
        handle = self.client.get_workflow_handle(family_workflow_id(family_id))
        try:
            view: LifecycleView = await handle.execute_update(
                UPDATES[action].name, argument, result_type=LifecycleView
            )
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            message = getattr(cause, "message", None) or str(cause or exc)
            raise IllegalTransition(message) from exc
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                raise NotFound("La familia no tiene un proceso en curso") from exc
            raise DependencyUnavailable(f"Temporal no respondió: {exc.message}") from exc
        return view


class ServiceClient:
    """JSON over HTTP to one of our services; problem+json answers become typed errors."""

    def __init__(self, base_url: str, http: httpx.AsyncClient) -> None:
        self.base_url = base_url
        self.http = http

    async def get(self, path: str, **params: Any) -> Any:
        try:
            response = await self.http.get(f"{self.base_url}{path}", params=params)
        except httpx.HTTPError as exc:
            raise DependencyUnavailable(f"No responde {self.base_url}") from exc
        if response.status_code >= 400:
            body = _problem(response)
            raise error_from_code(body.get("code", ""), body.get("detail", response.text))
        return response.json()

    async def read(self, answer: type[AnswerT], path: str, **params: Any) -> AnswerT:
        """The answer parsed as its contract; another shape is the service's fault, an outage."""
        try:
            return answer.model_validate(await self.get(path, **params))
        except ValidationError as exc:
            raise DependencyUnavailable(
                f"{self.base_url}{path} respondió en un formato inesperado"
            ) from exc


def _quoted(value: str) -> str:
    """A value inside a visibility query string: no quote can end it early, and no control
    character (a NUL breaks the dev server's SQLite query) reaches Temporal."""
    return "".join(
        ch for ch in value if ch not in '\\"' and not unicodedata.category(ch).startswith("C")
    )


def visibility_timestamp(moment: datetime) -> str:
    """A visibility datetime literal, to the second, in UTC."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def service_clients(settings: Settings, http: httpx.AsyncClient) -> dict[str, ServiceClient]:
    return {
        name: ServiceClient(settings.service_url(name), http)
        for name in ("intake", "plans", "payments")
    }


# What a payment cycle's workflow status means to the payments officer.
CYCLE_STATUS = {
    "RUNNING": "en curso",
    "COMPLETED": "terminado",
    "FAILED": "fallido",
    "TERMINATED": "detenido",
    "CANCELED": "cancelado",
    "TIMED_OUT": "vencido",
    "CONTINUED_AS_NEW": "en curso",
}


async def payment_cycle_status(client: Client, period: str) -> tuple[str, PaymentCycleView]:
    """The month's cycle: its status in Spanish and its `progreso`; NotFound if not started."""
    handle = client.get_workflow_handle(payment_cycle_workflow_id(period))
    try:
        description = await handle.describe()
        view = await handle.query(QUERY_CYCLE_PROGRESS, result_type=PaymentCycleView)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise NotFound(f"No se ha iniciado el ciclo de pagos de {period}") from exc
        raise DependencyUnavailable(f"Temporal no respondió: {exc.message}") from exc
    status = description.status.name if description.status is not None else "UNKNOWN"
    return CYCLE_STATUS.get(status, status.lower()), view
