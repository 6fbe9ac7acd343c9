"""The minimal workflow `bench/lifecycle.py` compares FamilyLifecycle with: the same steps only."""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio import workflow
from temporalio.common import SearchAttributeKey

with workflow.unsafe.imports_passed_through():
    from shared.contracts.plans import SessionsInMonth
    from workflows.family.activities import LifecycleActivities

PLAN_MONTH = SearchAttributeKey.for_int("PlanMonth")


@workflow.defn(name="MinimalMonth")
class MinimalMonth:
    @workflow.run
    async def run(self, family_id: str, month: int) -> None:
        if month == 1:
            today = workflow.now().date()
            await workflow.execute_activity_method(
                LifecycleActivities.sessions_in_month,
                SessionsInMonth(family_id=uuid.UUID(family_id), year=today.year, month=today.month),
                start_to_close_timeout=timedelta(seconds=30),
            )
            workflow.continue_as_new(args=[family_id, 2])
        workflow.upsert_search_attributes([PLAN_MONTH.value_set(month)])
        await workflow.wait_condition(lambda: False)
