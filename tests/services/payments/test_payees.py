"""The payee follows intake's representative, asked of intake over the bus."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import text

from services.payments.handlers import CONSUMER, apply_event
from services.payments.payees import payee_service
from shared.bus import deadletter
from shared.bus.client import Bus
from shared.bus.consumer import consume
from shared.contracts import subjects
from shared.contracts.envelope import Envelope
from shared.contracts.intake import FamilyRepresentative, GetRepresentative
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


async def test_a_commitment_seen_while_intake_does_not_answer_gets_its_payee_once_it_does(
    intake: ServiceUnderTest, payments: ServiceUnderTest, it_bus: Bus, it_settings: Settings
) -> None:
    """Intake unreachable is transient: payments' consumer retries the event, it does not
    drop it (before, the family never got a payee)."""
    family = await refer(intake.client, unique_comuna("Caida"))
    await contact(intake.client, family)
    await invite(intake.client, family)
    await commit(intake.client, family)
    envelope = await committed_event(intake, family.id)

    # Payments' consumer on streams of its own, where nobody answers intake's query yet.
    alone = it_settings.model_copy(
        update={
            "stream_prefix": f"P{uuid4().hex[:8].upper()}_",
            "consumer_retry_base_seconds": 0.2,
            "consumer_retry_max_seconds": 1.0,
        }
    )
    bus = await Bus.connect(alone, name="test-payments-intake-down")
    runtime = replace(payments.runtime, bus=bus)
    attempts = 0

    async def apply(event: Envelope) -> None:
        nonlocal attempts
        attempts += 1
        await apply_event(runtime, event)

    stop = asyncio.Event()
    consumer = asyncio.create_task(
        consume(bus, owner="intake", durable=CONSUMER, handler=apply, stop=stop)
    )
    try:
        await bus.ensure_stream("intake")
        await publish_as_intakes_relay(bus, envelope)
        await eventually(lambda: _now(attempts), until=lambda n: n >= 2)

        async def forward(query: GetRepresentative) -> FamilyRepresentative:
            return await it_bus.request(
                subjects.INTAKE_FAMILY_REPRESENTATIVE, query, FamilyRepresentative
            )

        # Intake is back.
        await bus.serve(
            subjects.INTAKE_FAMILY_REPRESENTATIVE, GetRepresentative, forward, queue="intake"
        )
        found = await eventually(
            lambda: payments.client.get(f"/v1/families/{family.id}/payee"),
            until=lambda r: r.status_code == 200,
            timeout=30,
        )
        assert await deadletter.read_book(bus) == {}
    finally:
        stop.set()
        await asyncio.wait_for(consumer, timeout=15)
        await bus.close()
    representative = (await intake.client.get(f"/v1/families/{family.id}")).json()["representative"]
    run = representative["run"]
    assert found.json()["run"] == f"**.***.{run[-4:-1]}-{run[-1]}"


async def _now(value: int) -> int:
    return value
