"""The payee follows intake's representative, asked of intake over the bus."""

from __future__ import annotations

from uuid import uuid4

import httpx
import pytest
from sqlalchemy import text

from services.payments.payees import payee_service
from shared.bus.client import Bus
from shared.contracts import subjects
from shared.contracts.envelope import Envelope
from shared.errors import DependencyUnavailable
from shared.settings import Settings
from tests.conftest import ServiceUnderTest
from tests.support.programme import commit, contact, invite, refer, unique_comuna
from tests.support.waiting import eventually


async def committed_event(intake: ServiceUnderTest, family_id: str) -> Envelope:
    async with intake.runtime.sessions() as session:
        payload = (
            await session.execute(
                text(
                    "SELECT payload FROM outbox WHERE subject = :s AND payload->>'family_id' = :f"
                ),
                {"s": subjects.FAMILY_COMMITTED, "f": family_id},
            )
        ).scalar_one()
    return Envelope.model_validate(payload)


async def publish_as_intakes_relay(bus: Bus, envelope: Envelope) -> None:
    """Intake's outbox relay does not run in this process: publish its event as it would."""
    await bus.js.publish(
        bus.subject(envelope.subject),
        envelope.model_dump_json().encode(),
        headers={"Nats-Msg-Id": str(envelope.event_id)},
    )


async def test_a_committed_family_is_paid_to_its_representatives_cuenta_rut(
    intake: ServiceUnderTest, payments: ServiceUnderTest, it_bus: Bus
) -> None:
    family = await refer(intake.client, unique_comuna("Titular"))
    await contact(intake.client, family)
    await invite(intake.client, family)
    await commit(intake.client, family)
    await publish_as_intakes_relay(it_bus, await committed_event(intake, family.id))
    representative = (await intake.client.get(f"/v1/families/{family.id}")).json()["representative"]
    run = representative["run"]  # normalised: body and check digit, "12345678K"

    async def payee() -> httpx.Response:
        return await payments.client.get(f"/v1/families/{family.id}/payee")

    found = await eventually(payee, until=lambda r: r.status_code == 200, timeout=30)
    assert (
        found.json()
        == {
            "run": f"**.***.{run[-4:-1]}-{run[-1]}",  # masked: never the whole RUN
            "channel": "transferencia",
            "bank_code": "012",  # BancoEstado
            "account_kind": "cuenta_rut",
            "account": f"···{run[-5:-1]}",  # the Cuenta RUT's number is the RUN's body
            "rejects_in_row": 0,
            "held": False,
            "hold_reason": None,
        }
    )
    async with payments.runtime.sessions() as session:
        stored = (
            await session.execute(
                text("SELECT run, name FROM payees WHERE family_id = :f"), {"f": family.id}
            )
        ).one()
    assert tuple(stored) == (run, representative["name"])


async def test_an_unknown_family_has_no_representative_and_intake_down_is_not_an_answer(
    intake: ServiceUnderTest, it_bus: Bus, it_settings: Settings
) -> None:
    assert await payee_service.representative_in_intake(it_bus, uuid4()) is None

    nobody = it_settings.model_copy(update={"stream_prefix": f"X{uuid4().hex[:6].upper()}_"})
    bus = await Bus.connect(nobody, name="test-payments-no-intake")
    try:
        with pytest.raises(DependencyUnavailable):
            await payee_service.representative_in_intake(bus, uuid4())
    finally:
        await bus.close()
