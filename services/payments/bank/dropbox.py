"""The simulated bank's disk, laid out like an SFTP drop: `entrada/` and `salida/`.

    banco/entrada/<receipt>.xml    the pain.001 as received
    banco/entrada/<receipt>.json   its name and MsgId; written last, so it marks acceptance
    banco/salida/<cursor>_<kind>_<message id>.xml   every message sent back
    banco/mensajes.jsonl           the journal: one line per message, in cursor order

The journal is the commit point. A file's stage is published by one append of all its
lines; a crash before it leaves the stage unpublished and it is answered again on restart
(with the same ids, see `faults`), a crash after it leaves nothing to redo. A torn last
line is ignored when the journal is read back.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from services.payments.bank import BankMessage, MessageKind
from services.payments.bank.faults import OutgoingMessage


@dataclass(frozen=True)
class AcceptedFile:
    receipt: str
    message_id: str
    file_name: str
    received_at: datetime


@dataclass(frozen=True)
class JournalLine:
    cursor: int
    message_id: str
    kind: MessageKind
    file_name: str
    receipt: str
    stage: int
    final: bool
    path: str


class BankDropbox:
    """Synchronous on purpose: the simulator calls it through `asyncio.to_thread`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.inbox = root / "entrada"
        self.outbox = root / "salida"
        self.journal_path = root / "mensajes.jsonl"
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.outbox.mkdir(parents=True, exist_ok=True)
        self.journal: list[JournalLine] = self._read_journal()

    def accepted(self, receipt: str) -> AcceptedFile | None:
        path = self.inbox / f"{receipt}.json"
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return AcceptedFile(
            receipt=receipt,
            message_id=data["message_id"],
            file_name=data["file_name"],
            received_at=datetime.fromisoformat(data["received_at"]),
        )

    def accept(self, file: AcceptedFile, content: bytes) -> None:
        _write_atomically(self.inbox / f"{file.receipt}.xml", content)
        record = {
            "message_id": file.message_id,
            "file_name": file.file_name,
            "received_at": file.received_at.isoformat(),
        }
        _write_atomically(
            self.inbox / f"{file.receipt}.json",
            json.dumps(record, ensure_ascii=False).encode("utf-8"),
        )

    def content(self, receipt: str) -> bytes:
        return (self.inbox / f"{receipt}.xml").read_bytes()

    def unanswered(self) -> list[tuple[AcceptedFile, int]]:
        """Accepted files not fully answered, with the next stage to publish (1-based)."""
        done: dict[str, int] = {}
        finished: set[str] = set()
        for line in self.journal:
            done[line.receipt] = max(done.get(line.receipt, 0), line.stage)
            if line.final:
                finished.add(line.receipt)
        pending = []
        for marker in sorted(self.inbox.glob("*.json")):
            receipt = marker.stem
            accepted = self.accepted(receipt)
            if accepted is not None and receipt not in finished:
                pending.append((accepted, done.get(receipt, 0) + 1))
        pending.sort(key=lambda item: item[0].received_at)
        return pending

    def publish(
        self,
        file: AcceptedFile,
        stage: int,
        messages: list[OutgoingMessage],
        *,
        final: bool,
        copies: int = 1,
    ) -> list[JournalLine]:
        """Publish one stage: every message `copies` times, each copy under its own cursor."""
        cursor = self.journal[-1].cursor if self.journal else 0
        lines: list[JournalLine] = []
        for message in messages:
            for _ in range(copies):
                cursor += 1
                name = f"{cursor:08d}_{message.kind}_{message.message_id}.xml"
                _write_atomically(self.outbox / name, message.content)
                lines.append(
                    JournalLine(
                        cursor=cursor,
                        message_id=message.message_id,
                        kind=message.kind,
                        file_name=file.file_name,
                        receipt=file.receipt,
                        stage=stage,
                        final=final,
                        path=name,
                    )
                )
        with self.journal_path.open("a", encoding="utf-8") as journal:
            journal.write(_journal_text(lines))
            journal.flush()
            os.fsync(journal.fileno())
        self.journal.extend(lines)
        return lines

    def messages(self, after: int, limit: int) -> list[BankMessage]:
        selected = [line for line in self.journal if line.cursor > after][:limit]
        return [
            BankMessage(
                cursor=line.cursor,
                message_id=line.message_id,
                kind=line.kind,
                file_name=line.file_name,
                content=(self.outbox / line.path).read_bytes(),
            )
            for line in selected
        ]

    def _read_journal(self) -> list[JournalLine]:
        if not self.journal_path.exists():
            return []
        text = self.journal_path.read_text(encoding="utf-8")
        lines: list[JournalLine] = []
        for raw in text.splitlines():
            try:
                lines.append(JournalLine(**json.loads(raw)))
            except (ValueError, TypeError):
                break  # a torn tail from a crash mid-append: that stage is published again
        clean = _journal_text(lines)
        if clean != text:
            # Drop the torn tail, so the next append starts on a clean line.
            _write_atomically(self.journal_path, clean.encode("utf-8"))
        return lines


def _journal_text(lines: list[JournalLine]) -> str:
    return "".join(json.dumps(asdict(line), ensure_ascii=False) + "\n" for line in lines)


def _write_atomically(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
