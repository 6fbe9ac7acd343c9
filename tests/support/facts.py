"""Facts as the services announce them, for tests that deliver them to a family's workflow."""

from __future__ import annotations

import uuid
from datetime import date

from shared.contracts.envelope import EventData
from shared.contracts.intake import FamilyCommitted, FamilyContacted, FamilyInvited
from shared.contracts.plans import DiagnosisCompleted, PlanSigned


def agreement(family_id: uuid.UUID, day: date) -> list[EventData]:
    """On `day` the family is located, accepts, signs the letter, is diagnosed and signs a
    simple-trajectory plan (12 sessions, 3 goals): what starts the accompaniment."""
    return [
        FamilyContacted(
            family_id=family_id, attempt_number=1, attempted_on=day, channel="visita", located=True
        ),
        FamilyInvited(family_id=family_id, invited_on=day, accepted=True),
        FamilyCommitted(
            family_id=family_id,
            signed_on=day,
            representative_member_id=uuid.uuid4(),
            document_ref="carta-compromiso.pdf",
        ),
        DiagnosisCompleted(
            family_id=family_id,
            diagnosis_id=uuid.uuid4(),
            completed_on=day,
            critical_indicators=[],
        ),
        PlanSigned(
            family_id=family_id,
            plan_id=uuid.uuid4(),
            revision=1,
            signed_on=day,
            trajectory="simple",
            minimum_sessions=12,
            goals=3,
        ),
    ]
