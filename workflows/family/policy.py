"""The policy that governs one family: pinned when its workflow starts (consistency rule 5).

None of these is a published rule (DOMAIN.md §2): each is a setting with the documented
default. A change applies to new families; no update changes a running family's policy yet.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Policy(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    contact_deadline_days: int = Field(30, ge=1, le=365)
    contact_max_attempts: int = Field(5, ge=1, le=50)
    diagnosis_deadline_days: int = Field(30, ge=1, le=365)
    plan_deadline_days: int = Field(30, ge=1, le=365)
    escalation_after_days: int = Field(7, ge=1, le=90, description="after the reminder")
    months_without_session: int = Field(2, ge=1, le=36, description="opens abandonment")
    abandonment_visit_days: int = Field(15, ge=1, le=90)
    plan_months: int = Field(24, ge=1, le=36)
    first_month_offset: int = Field(1, ge=0, le=2, description="1: the month after signing")
    evaluation_deadline_days: int = Field(60, ge=1, le=365)
