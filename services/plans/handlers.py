"""Plans on the bus: the commands it answers."""

from __future__ import annotations

from services.plans.service import plans_service
from shared.contracts import subjects
from shared.contracts.plans import CaseOpened, OpenCase
from shared.db.idempotency import run_once
from shared.runtime import ServiceRuntime


async def register_handlers(runtime: ServiceRuntime) -> None:
    async def open_case(command: OpenCase) -> CaseOpened:
        return await run_once(
            runtime.sessions,
            command,
            CaseOpened,
            lambda session: plans_service.open_case(session, command),
        )

    await runtime.bus.serve(subjects.CASE_OPEN, OpenCase, open_case, queue="plans")
