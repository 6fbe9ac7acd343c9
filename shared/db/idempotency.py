"""Commands applied once: the first answer to a key is stored and returned to every retry.

A key counts within its scope: a bus command's subject, or an HTTP route and family. The
stored key is `{subject}:{key}` for a command and `http:{route}:{family}:{key}` for an HTTP
request, so the same key sent for another command, route or family is another request —
never answered with someone else's stored response.

Rows stored before keys were scoped (`{key}` and `http:{key}`) are still read, within the
scope their `subject` column names; a row of another scope is not found. That fallback
(`stored_in_scope`'s second case) can go once no retry from before the change can arrive:
HTTP resends come within minutes, but a workflow activity retries until the service answers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, column, or_, select, table
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts.envelope import CommandRequest
from shared.errors import IdempotencyMismatch

ResponseT = TypeVar("ResponseT", bound=BaseModel)

command_log_table = table(
    "command_log",
    column("idempotency_key"),
    column("subject"),
    column("request_hash"),
    column("response", JSONB),
)


KEY_LENGTH = 200  # command_log.idempotency_key


def scoped_key(scope: str, key: str) -> str:
    """The stored key: `key` within `scope`; a key too long for the column is hashed."""
    scoped = f"{scope}:{key}"
    if len(scoped) <= KEY_LENGTH:
        return scoped
    return f"{scope}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def stored_in_scope(scoped: str, legacy_key: str, subject: str) -> ColumnElement[bool]:
    """The row of this scope: its scoped key, or a row from before scoping of this subject."""
    log = command_log_table.c
    return or_(
        log.idempotency_key == scoped,
        and_(log.idempotency_key == legacy_key, log.subject == subject),
    )


def request_hash(request: CommandRequest) -> str:
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def run_once(
    factory: async_sessionmaker[AsyncSession],
    request: CommandRequest,
    response_model: type[ResponseT],
    apply: Callable[[AsyncSession], Awaitable[ResponseT]],
) -> ResponseT:
    """Run `apply` and record its answer in one transaction, unless the key was seen before.

    Two concurrent first requests race on the primary key: the loser's transaction fails on
    the insert, rolls back everything `apply` did, and the retry returns the winner's answer.
    """
    digest = request_hash(request)
    key = scoped_key(request.subject, request.idempotency_key)
    in_scope = stored_in_scope(key, request.idempotency_key, request.subject)
    attempts = 3
    for attempt in range(attempts):
        try:
            async with factory() as session, session.begin():
                previous = (
                    await session.execute(
                        select(
                            command_log_table.c.request_hash, command_log_table.c.response
                        ).where(in_scope)
                    )
                ).first()
                if previous is not None:
                    if previous.request_hash != digest:
                        raise IdempotencyMismatch(
                            "La clave de idempotencia ya se usó con otra solicitud; no se aplicó",
                            idempotency_key=request.idempotency_key,
                        )
                    return response_model.model_validate(previous.response)
                response = await apply(session)
                inserted = await session.execute(
                    insert(command_log_table)
                    .values(
                        idempotency_key=key,
                        subject=request.subject,
                        request_hash=digest,
                        response=response.model_dump(mode="json"),
                    )
                    .on_conflict_do_nothing()
                    .returning(command_log_table.c.idempotency_key)
                )
                if inserted.first() is None:
                    raise _LostRace
                return response
        except (_LostRace, IntegrityError):
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


class _LostRace(Exception):
    """Another request with the same key committed first; ours is rolled back."""


def body_hash(body: BaseModel) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def replay_or_none(
    session: AsyncSession, key: str, subject: str, digest: str
) -> dict[str, object] | None:
    """Inside the request's transaction: the stored answer to this key, if any.

    HTTP clients on a poor connection (a phone at a family's door) resend the same POST;
    with an `Idempotency-Key` header the second one gets the first answer, not a new row.
    `subject` is the scope: the route and the family (`contacto:{family_id}`), so the key
    reused elsewhere is another request. The row lock makes a concurrent duplicate wait for
    the first to commit.
    """
    in_scope = stored_in_scope(scoped_key(f"http:{subject}", key), f"http:{key}", subject)
    previous = (
        await session.execute(
            select(command_log_table.c.request_hash, command_log_table.c.response)
            .where(in_scope)
            .with_for_update()
        )
    ).first()
    if previous is None:
        return None
    if previous.request_hash != digest:
        raise IdempotencyMismatch(
            "La clave de idempotencia ya se usó con otra solicitud; no se aplicó",
            idempotency_key=key,
        )
    response: dict[str, object] = previous.response
    return response


async def remember(
    session: AsyncSession, key: str, subject: str, digest: str, response: BaseModel
) -> None:
    """Store the answer in the same transaction as the change; a racing twin fails and retries."""
    await session.execute(
        insert(command_log_table).values(
            idempotency_key=scoped_key(f"http:{subject}", key),
            subject=subject,
            request_hash=digest,
            response=response.model_dump(mode="json"),
        )
    )
