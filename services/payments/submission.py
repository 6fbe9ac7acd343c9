"""Handing queued files to the bank: payments' own submitter, apart from the cycle's requests.

The PaymentCycle asks for each batch to be sent (`SubmitBatch`); payments records that
intent (the batch is `queued`) and answers at once. This submitter, a background task of
every payments process, claims queued batches (`FOR UPDATE SKIP LOCKED`, with a lease, so
replicas share them and a dead one's batches are taken over), uploads up to
`payments_bank_concurrency` files at once, and records the outcome:

- a receipt: `submitted` (the bank answers a known MsgId with the same receipt, so an
  upload repeated after a lost answer pays nothing twice);
- the file refused whole (4xx): `refused`, its orders back to pending with an issue for a
  person, and the file never sent again as is;
- anything else (timeout, bank down, database restarting): the batch stays queued and is
  tried again after a back-off (1 s, 2 s, 4 s … 60 s), its last error shown in the progress.

So a slow bank holds no NATS request open (a lost reply costs the cycle seconds, not the
bank's answer time), eight files to a bank answering in 30 s take about 30 s, not 240 s,
and a batch queued before a restart is sent after it.
"""

from __future__ import annotations

import asyncio
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.payments.bank import BankAdapter
from services.payments.bank.http import BankRefusedFile
from services.payments.reconciliation import reconciliation_service
from services.payments.repository import cycles as repository
from shared.observability import get_logger
from shared.settings import Settings

log = get_logger(__name__)

SCAN_SECONDS = 2.0  # a queued batch nobody woke the submitter for waits at most this long
MAX_BACKOFF_SECONDS = 60.0


def backoff(attempt: int) -> float:
    return float(min(2 ** max(attempt - 1, 0), MAX_BACKOFF_SECONDS))


class BankSubmitter:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], bank: BankAdapter, settings: Settings
    ) -> None:
        self.sessions = sessions
        self.bank = bank
        self.settings = settings
        self.slots = settings.payments_bank_concurrency
        # Held while an upload may run: the bank's timeout and some margin to record it.
        self.lease_seconds = settings.bank_timeout_seconds + 30.0
        self.wake = asyncio.Event()
        self.uploading: set[asyncio.Task[None]] = set()

    def queued(self) -> None:
        """A batch was queued: look now rather than at the next scan."""
        self.wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        stopping = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                self.wake.clear()
                free = self.slots - len(self.uploading)
                if free > 0:
                    for batch_id, attempt in await self._claim(free):
                        task = asyncio.create_task(self._upload(batch_id, attempt))
                        self.uploading.add(task)
                        task.add_done_callback(self.uploading.discard)
                woken = asyncio.create_task(self.wake.wait())
                await asyncio.wait(
                    {stopping, woken, *self.uploading},
                    timeout=SCAN_SECONDS,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                woken.cancel()
        finally:
            stopping.cancel()
            # An upload cut short is safe: its lease runs out and it is tried again.
            for task in list(self.uploading):
                task.cancel()
            await asyncio.gather(*self.uploading, return_exceptions=True)

    async def _claim(self, free: int) -> list[tuple[UUID, int]]:
        try:
            async with self.sessions() as session, session.begin():
                return list(await repository.claim_due(session, free, self.lease_seconds))
        except Exception as exc:  # the database restarting: scan again later
            log.warning("bank_submitter_claim_failed", error=str(exc))
            return []

    async def _upload(self, batch_id: UUID, attempt: int) -> None:
        try:
            async with self.sessions() as session:
                batch = await repository.get_batch(session, batch_id)
            if batch is None or batch.state != "queued" or batch.content is None:
                return
            file_name = batch.file_name or f"{batch.message_id}.xml"
            try:
                receipt = await self.bank.submit(file_name, batch.content)
            except BankRefusedFile as refused:
                log.warning("bank_file_refused", message_id=batch.message_id)
                async with self.sessions() as session, session.begin():
                    await self._refused(session, batch_id, refused.message)
                return
            async with self.sessions() as session, session.begin():
                await repository.mark_submitted(session, batch_id, receipt)
            log.info("bank_file_submitted", message_id=batch.message_id, attempt=attempt)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            wait = backoff(attempt)
            log.warning(
                "bank_submission_failed", batch_id=str(batch_id), attempt=attempt, retry_in=wait,
                error=str(exc),
            )  # fmt: skip
            try:
                async with self.sessions() as session, session.begin():
                    await repository.retry_later(session, batch_id, wait, str(exc))
            except Exception as again:  # the lease runs out and it is tried again anyway
                log.warning("bank_submission_not_recorded", error=str(again))

    async def _refused(self, session: AsyncSession, batch_id: UUID, why: str) -> None:
        batch = await repository.get_batch(session, batch_id, lock=True)
        if batch is None or batch.state != "queued":
            return
        await reconciliation_service.refuse_file(
            session, batch, why, max_rejects=self.settings.payments_max_rejects
        )
