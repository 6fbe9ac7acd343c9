"""The monthly Schedule that starts each month's payment cycle (created by the worker)."""

from __future__ import annotations

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleRange,
    ScheduleSpec,
)
from temporalio.service import RPCError, RPCStatusCode

from shared.contracts.payments import (
    PAYMENT_CYCLE_SCHEDULE_ID,
    PAYMENT_CYCLE_SCHEDULED_WORKFLOW,
    ScheduledCycleInput,
)
from shared.observability import get_logger
from shared.settings import Settings

log = get_logger(__name__)


def monthly_schedule(settings: Settings) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            PAYMENT_CYCLE_SCHEDULED_WORKFLOW,
            ScheduledCycleInput(poll_seconds=settings.payments_poll_seconds),
            id="payment-cycle-scheduled",
            task_queue=settings.temporal_task_queue,
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    day_of_month=[ScheduleRange(settings.payments_cycle_day)],
                    hour=[ScheduleRange(8)],
                )
            ],
            time_zone_name=settings.timezone,
        ),
    )


async def ensure_payment_schedule(client: Client, settings: Settings) -> None:
    """Create the Schedule once; an existing one (maybe edited by an operator) is kept."""
    try:
        await client.create_schedule(PAYMENT_CYCLE_SCHEDULE_ID, monthly_schedule(settings))
        log.info("payment_schedule_created", day=settings.payments_cycle_day)
    except ScheduleAlreadyRunningError:
        pass
    except RPCError as exc:
        if exc.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        # Temporal's time-skipping test server has no Schedules (tests/chaos starts each
        # month's cycle itself).
        log.warning("payment_schedule_unsupported")
