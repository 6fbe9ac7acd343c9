"""Events, commands and queries owned by the plans service."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar
from uuid import UUID

from shared.contracts import subjects
from shared.contracts.envelope import CommandRequest, Contract


class OpenCase(CommandRequest):
    """The family workflow asks plans to open the family's case file."""

    subject: ClassVar[str] = subjects.CASE_OPEN

    family_id: UUID
    comuna: str
    referred_on: date


class CaseOpened(Contract):
    family_id: UUID
    opened_at: datetime
