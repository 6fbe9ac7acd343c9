"""What the set-based statements return, as the services read it: rows named by protocol.

A statement's `RETURNING`/`SELECT` columns are the attributes below; SQLAlchemy's rows
satisfy these protocols, so the bulk paths keep their statements and the services their
types.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol
from uuid import UUID


class Money(Protocol):
    """An amount owed to a family for one month and concept (an order or a batch line)."""

    @property
    def family_id(self) -> UUID: ...
    @property
    def period(self) -> date: ...
    @property
    def concept(self) -> str: ...
    @property
    def amount(self) -> int: ...


class OrderLine(Money, Protocol):
    """A transfer line of a payment order."""

    @property
    def order_id(self) -> UUID: ...


class RejectedLine(OrderLine, Protocol):
    @property
    def reason_text(self) -> str | None: ...
    @property
    def reason_code(self) -> str | None: ...


class SettledLine(OrderLine, Protocol):
    @property
    def id(self) -> UUID: ...
    @property
    def bank_reference(self) -> str: ...
    @property
    def end_to_end_id(self) -> str: ...
    @property
    def batch_id(self) -> UUID: ...


class DebitedLine(SettledLine, Protocol):
    """A line a debit settled, with its status before (`rejected`: the bank contradicted
    itself) and the reason it was rejected with."""

    @property
    def was(self) -> str: ...
    @property
    def was_reason(self) -> str | None: ...


class IssueLine(SettledLine, Protocol):
    """The transfer line a payment issue is about, as a person resolves it."""

    @property
    def status(self) -> str: ...


class ClaimedLine(OrderLine, Protocol):
    """An in-person payment collected at a counter."""

    @property
    def id(self) -> UUID: ...


class ExpiredOrder(Money, Protocol):
    """A payment order whose in-person payment went unclaimed: `id` is the order's."""

    @property
    def id(self) -> UUID: ...


class TransferLine(Money, Protocol):
    """A cycle's transfer, as the payments officer reviews it."""

    @property
    def reason_text(self) -> str | None: ...
    @property
    def end_to_end_id(self) -> str: ...
    @property
    def channel(self) -> str: ...


class LineState(Protocol):
    """Where a transfer line stands, for a bank notification about it."""

    @property
    def id(self) -> UUID: ...
    @property
    def order_id(self) -> UUID: ...
    @property
    def family_id(self) -> UUID: ...
    @property
    def period(self) -> date: ...
    @property
    def concept(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def amount(self) -> int: ...
    @property
    def bank_reference(self) -> str | None: ...
    @property
    def end_to_end_id(self) -> str: ...
    @property
    def batch_id(self) -> UUID: ...
    @property
    def order_paid(self) -> bool: ...
