"""Typed keys of the search attributes staff filter families by (see SEARCH_ATTRIBUTES).

Shared by the workflow, which upserts them, and supervision, which lists by them.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

PHASE = SearchAttributeKey.for_keyword("Phase")
COMUNA = SearchAttributeKey.for_keyword("Comuna")
COHORT_YEAR = SearchAttributeKey.for_int("CohortYear")
PLAN_MONTH = SearchAttributeKey.for_int("PlanMonth")
APOYO_FAMILIAR = SearchAttributeKey.for_keyword("ApoyoFamiliar")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")
