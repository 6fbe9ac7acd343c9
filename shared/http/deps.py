"""FastAPI dependencies every service uses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession

from shared.runtime import ServiceRuntime


def service_runtime_of(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the endpoint returns, else rolled back."""
    async with service_runtime_of(request).sessions() as session, session.begin():
        yield session


# scope="function": the transaction commits before the answer leaves. FastAPI's default for a
# dependency with `yield` runs its exit after the response is sent, so a client got 201 for a
# write not yet committed — lost if the process died then, and not yet visible to the
# client's next request (found by the chaos suite, tests/chaos/README.md).
Session = Annotated[AsyncSession, Depends(db_session, scope="function")]
Runtime = Annotated[ServiceRuntime, Depends(service_runtime_of)]
Actor = Annotated[
    str,
    Header(
        alias="X-Familias-Usuario",
        max_length=120,
        description="Quién actúa (queda en el registro de auditoría)",
    ),
]
