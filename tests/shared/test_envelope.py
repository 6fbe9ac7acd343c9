from datetime import date
from uuid import uuid4

import pytest

from shared.contracts.envelope import Envelope, Reply
from shared.contracts.intake import FamilyReferred
from shared.contracts.plans import CaseOpened
from shared.errors import IdempotencyMismatch, NotFound


def test_an_event_round_trips_through_its_envelope() -> None:
    data = FamilyReferred(
        family_id=uuid4(),
        family_code="F-1",
        comuna="Conchalí",
        cohort_year=2024,
        referred_on=date(2024, 3, 1),
        member_count=3,
    )
    envelope = Envelope.wrap(data, producer="intake", family_id=data.family_id)
    decoded = Envelope.model_validate_json(envelope.model_dump_json())
    assert decoded.subject == "intake.evt.v1.family.referred"
    assert decoded.payload(FamilyReferred) == data


def test_a_failed_reply_raises_the_typed_error_with_its_spanish_message() -> None:
    reply = Reply.failure(IdempotencyMismatch("La clave ya se usó"))
    with pytest.raises(IdempotencyMismatch, match="La clave ya se usó"):
        Reply.model_validate_json(reply.model_dump_json()).unwrap(CaseOpened)


def test_an_unknown_error_code_still_raises_a_domain_error() -> None:
    reply = Reply(ok=False, error={"code": "no_encontrado", "message": "No existe"})
    with pytest.raises(NotFound):
        reply.unwrap(CaseOpened)
