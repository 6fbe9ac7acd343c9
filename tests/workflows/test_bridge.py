"""The bridge tells its consumer whether a failed signal may succeed later."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast
from uuid import uuid4

import pytest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from shared.bus.failures import Failure, classify
from shared.contracts import subjects
from shared.contracts.envelope import Envelope
from shared.errors import DependencyUnavailable
from workflows.bridge import Bridge


class Temporal:
    """A client whose every signal gets the same gRPC status."""

    def __init__(self, status: RPCStatusCode) -> None:
        self.status = status

    def get_workflow_handle(self, _workflow_id: str) -> Temporal:
        return self

    async def signal(self, *_args: Any) -> None:
        raise RPCError("no", self.status, b"")


def session_recorded() -> Envelope:
    return Envelope(
        event_id=uuid4(),
        subject=subjects.SESSION_RECORDED,
        schema_version=1,
        occurred_at=datetime.now(UTC),
        producer="plans",
        family_id=uuid4(),
        data={},
    )


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        (RPCStatusCode.UNAVAILABLE, Failure.TRANSIENT),
        (RPCStatusCode.DEADLINE_EXCEEDED, Failure.TRANSIENT),
        (RPCStatusCode.RESOURCE_EXHAUSTED, Failure.TRANSIENT),
        (RPCStatusCode.INVALID_ARGUMENT, Failure.UNEXPECTED),
    ],
)
async def test_temporal_unreachable_is_transient_a_refused_call_is_not(
    status: RPCStatusCode, failure: Failure
) -> None:
    bridge = Bridge(cast(Client, Temporal(status)), "familias")
    with pytest.raises((DependencyUnavailable, RPCError)) as raised:
        await bridge.handle(session_recorded())
    assert classify(raised.value) is failure
    assert bridge.delivered == 0


async def test_an_event_for_a_workflow_that_is_gone_is_skipped() -> None:
    bridge = Bridge(cast(Client, Temporal(RPCStatusCode.NOT_FOUND)), "familias")
    await bridge.handle(session_recorded())
    assert bridge.delivered == 1
