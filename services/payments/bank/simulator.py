"""A bank's file gateway, simulated: what `make run` and the tests pay through.

    POST /v1/archivos          a pain.001 (header X-Nombre-Archivo) → 202 {"recibo": …}
    GET  /v1/mensajes?despues=N   pain.002 / camt.054 sent back, by increasing cursor
    GET|POST /v1/control       the faults it injects (see `faults.BankFaults`)

Files and answers live under `settings.data_dir / "banco"` (see `dropbox`), so a restart
keeps every message and answers the files accepted but not yet answered.

`python -m services.payments.bank.simulator --help` lists the start flags.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import unquote

import uvicorn
from fastapi import APIRouter, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from services.payments.bank import BankMessage
from services.payments.bank.dropbox import AcceptedFile, BankDropbox
from services.payments.bank.faults import (
    BAD_SIGNATURE,
    BankFaults,
    duplicate_answer,
    plan_answers,
    receipt_for,
)
from services.payments.bankfile import ReceivedPaymentFile, parse_pain001
from shared.errors import ValidationFailed
from shared.http.app import service_app
from shared.observability import configure_logging, get_logger
from shared.process import exit_now
from shared.settings import Settings, load_settings

log = get_logger(__name__)

MAX_FILE_BYTES = 50 * 1024 * 1024
CRASH_EXIT_CODE = 70


class BankSimulator:
    """The gateway's state: its disk, its faults and the answers under way."""

    def __init__(self, dropbox: BankDropbox, faults: BankFaults) -> None:
        self.dropbox = dropbox
        self.faults = faults
        self._lock = asyncio.Lock()
        self._answering: set[asyncio.Task[None]] = set()
        # What tests measure: uploads under way at once (the most seen), and how many times
        # each MsgId was uploaded.
        self.uploading = 0
        self.most_uploading = 0
        self.uploads: dict[str, int] = {}

    async def receive(self, file_name: str, content: bytes) -> tuple[str, bool]:
        """Store a new file and schedule its answers; returns (receipt, already known)."""
        received = parse_pain001(content)
        receipt = receipt_for(received.file.message_id)
        message_id = received.file.message_id
        self.uploads[message_id] = self.uploads.get(message_id, 0) + 1
        async with self._lock:
            known = await asyncio.to_thread(self.dropbox.accepted, receipt)
            if known is None and self.faults.refuse_files:
                log.info("bank_file_refused_injected", message_id=message_id)
                raise ValidationFailed(f"Archivo rechazado: {BAD_SIGNATURE}")
            if known is not None:
                log.info("bank_file_resubmitted", receipt=receipt)
                if self.faults.reject_resubmissions:
                    await asyncio.to_thread(self._reject_copy, known, received)
                return receipt, True
            accepted = AcceptedFile(
                receipt=receipt,
                message_id=received.file.message_id,
                file_name=file_name,
                received_at=datetime.now(UTC),
            )
            await asyncio.to_thread(self.dropbox.accept, accepted, content)
        log.info("bank_file_accepted", receipt=receipt, transfers=received.file.count)
        if self.faults.crash_after_accept:
            log.warning("bank_crash_injected", receipt=receipt)
            exit_now(CRASH_EXIT_CODE)
        self._answer_later(accepted, first_stage=1, received=received)
        return receipt, False

    def _reject_copy(self, accepted: AcceptedFile, received: ReceivedPaymentFile) -> None:
        """Answer a file received again with a group rejection (AM05) of the copy."""
        copies = sum(
            1
            for line in self.dropbox.journal
            if line.receipt == accepted.receipt and not line.stage
        )
        answer = duplicate_answer(
            received, receipt=accepted.receipt, copy=copies + 1, now=datetime.now(UTC)
        )
        # Stage 0: outside the file's own answers, which go on (or resume) as they were.
        self.dropbox.publish(accepted, 0, [answer], final=False)

    def resume(self) -> None:
        for accepted, next_stage in self.dropbox.unanswered():
            log.info("bank_file_resumed", receipt=accepted.receipt, stage=next_stage)
            self._answer_later(accepted, first_stage=next_stage)

    def _answer_later(
        self,
        accepted: AcceptedFile,
        *,
        first_stage: int,
        received: ReceivedPaymentFile | None = None,
    ) -> None:
        task = asyncio.create_task(self._answer(accepted, first_stage, received))
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def _answer(
        self,
        accepted: AcceptedFile,
        first_stage: int,
        received: ReceivedPaymentFile | None = None,
    ) -> None:
        try:
            if received is None:  # resumed after a restart: read it back from the disk
                content = await asyncio.to_thread(self.dropbox.content, accepted.receipt)
                received = parse_pain001(content)
            stages = plan_answers(
                received, self.faults, receipt=accepted.receipt, now=datetime.now(UTC)
            )
            for number in range(first_stage, len(stages) + 1):
                await asyncio.sleep(self.faults.delay_seconds)
                async with self._lock:
                    lines = await asyncio.to_thread(
                        self.dropbox.publish,
                        accepted,
                        number,
                        stages[number - 1],
                        final=number == len(stages),
                        copies=2 if self.faults.duplicate_messages else 1,
                    )
                log.info(
                    "bank_answer_published",
                    receipt=accepted.receipt,
                    stage=number,
                    messages=len(lines),
                )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("bank_answer_failed", receipt=accepted.receipt)

    async def close(self) -> None:
        for task in list(self._answering):
            task.cancel()
        await asyncio.gather(*self._answering, return_exceptions=True)


def _router() -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["banco"])

    @router.post(
        "/archivos",
        status_code=202,
        summary="Recibir una nómina pain.001",
        responses={422: {"description": "El archivo no es un pain.001 legible"}},
    )
    async def receive_file(
        request: Request, x_nombre_archivo: Annotated[str, Header(min_length=1)]
    ) -> JSONResponse:
        content = await request.body()
        if len(content) > MAX_FILE_BYTES:
            raise ValidationFailed("El archivo supera el tamaño máximo de 50 MB")
        file_name = unquote(x_nombre_archivo)[:255]
        simulator = _simulator(request)
        simulator.uploading += 1
        simulator.most_uploading = max(simulator.most_uploading, simulator.uploading)
        try:
            receipt, known = await simulator.receive(file_name, content)
            delay = simulator.faults.response_delay_seconds
            if delay and not known:
                await asyncio.sleep(delay)
        finally:
            simulator.uploading -= 1
        return JSONResponse({"recibo": receipt, "duplicado": known}, status_code=202)

    @router.get("/estadisticas", summary="Envíos recibidos: cuántos a la vez, cuántos por MsgId")
    async def statistics(request: Request) -> dict[str, Any]:
        simulator = _simulator(request)
        return {
            "uploads_max_concurrent": simulator.most_uploading,
            "uploads": simulator.uploads,
        }

    @router.get("/mensajes", summary="Mensajes enviados por el banco, desde un cursor")
    async def list_messages(
        request: Request,
        despues: Annotated[int, Query(ge=0)] = 0,
        limite: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> list[dict[str, Any]]:
        messages = await asyncio.to_thread(_simulator(request).dropbox.messages, despues, limite)
        return [message_json(m) for m in messages]

    @router.get("/control", summary="Fallas que el simulador inyecta")
    async def get_faults(request: Request) -> dict[str, Any]:
        return _simulator(request).faults.model_dump()

    @router.post("/control", summary="Cambiar las fallas que el simulador inyecta")
    async def set_faults(request: Request, changes: dict[str, Any]) -> dict[str, Any]:
        simulator = _simulator(request)
        try:
            simulator.faults = BankFaults.model_validate(simulator.faults.model_dump() | changes)
        except ValidationError as exc:
            fields = ", ".join(str(e["loc"][0]) for e in exc.errors() if e["loc"])
            raise ValidationFailed(f"Configuración de fallas no válida: {fields}") from exc
        log.info("bank_faults_changed", changed=sorted(changes))
        return simulator.faults.model_dump()

    return router


def message_json(message: BankMessage) -> dict[str, Any]:
    return {
        "cursor": message.cursor,
        "message_id": message.message_id,
        "kind": message.kind,
        "file_name": message.file_name,
        "content_b64": base64.b64encode(message.content).decode("ascii"),
    }


def _simulator(request: Request) -> BankSimulator:
    simulator: BankSimulator = request.app.state.simulator
    return simulator


def create_app(settings: Settings, faults: BankFaults | None = None) -> FastAPI:
    start_faults = faults or BankFaults(delay_seconds=settings.bank_delay_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        dropbox = await asyncio.to_thread(BankDropbox, settings.data_dir / "banco")
        simulator = BankSimulator(dropbox, start_faults)
        app.state.simulator = simulator
        simulator.resume()
        try:
            yield
        finally:
            await simulator.close()

    return service_app(
        service="bank",
        title="Familias — Banco simulado",
        description="Pasarela de archivos ISO 20022 de un banco, con fallas configurables.",
        lifespan=lifespan,
        routers=[_router()],
        readiness=lambda _app: {},
    )


def parse_arguments(settings: Settings, argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m services.payments.bank.simulator",
        description="Banco simulado: recibe pain.001 y responde pain.002 y camt.054.",
    )
    parser.add_argument("--puerto", type=int, default=settings.bank_port, help="puerto HTTP")
    parser.add_argument(
        "--retraso",
        type=float,
        default=settings.bank_delay_seconds,
        help="segundos entre recibir un archivo y responderlo",
    )
    parser.add_argument(
        "--rechazar-sufijo",
        action="append",
        metavar="DIGITOS",
        help="rechaza (AC04, cuenta cerrada) las cuentas que terminan así; por omisión 0000",
    )
    parser.add_argument(
        "--rechazar-rut",
        action="append",
        default=[],
        metavar="RUT",
        help="rechaza (BE01, RUT no coincide con la cuenta) las transferencias a este RUT",
    )
    parser.add_argument(
        "--proporcion-rechazo",
        type=float,
        default=0.0,
        help="fracción (0 a 1) de transferencias rechazadas al azar (AC06)",
    )
    parser.add_argument("--semilla", type=int, default=0, help="semilla de los rechazos al azar")
    parser.add_argument(
        "--duplicar", action="store_true", help="envía cada mensaje dos veces, con el mismo id"
    )
    parser.add_argument(
        "--demora-respuesta",
        type=float,
        default=0.0,
        help="segundos que tarda en responder el envío (el archivo queda aceptado igual)",
    )
    parser.add_argument(
        "--parcial", action="store_true", help="responde cada archivo en dos pain.002"
    )
    parser.add_argument(
        "--caer-tras-aceptar",
        action="store_true",
        help="termina el proceso justo después de guardar un archivo nuevo",
    )
    parser.add_argument(
        "--mensajes-ilegibles",
        action="store_true",
        help="antes de responder un archivo envía un mensaje ilegible (codificación desconocida)",
    )
    parser.add_argument(
        "--rechazar-reenvios",
        action="store_true",
        help="un archivo recibido otra vez (mismo MsgId) se rechaza entero como duplicado (AM05)",
    )
    parser.add_argument(
        "--rechazar-y-cargar",
        type=float,
        default=0.0,
        metavar="P",
        help="fracción de transferencias rechazadas en el pain.002 y cargadas igual en el camt.054",
    )
    parser.add_argument(
        "--cargar-y-rechazar",
        type=float,
        default=0.0,
        metavar="P",
        help="fracción de transferencias cargadas y después rechazadas por otro pain.002",
    )
    parser.add_argument(
        "--rechazar-archivos",
        action="store_true",
        help="rechaza todo archivo nuevo al recibirlo (422: firma no verificada)",
    )
    parser.add_argument(
        "--rechazar-archivos-enteros",
        action="store_true",
        help="acepta cada archivo nuevo y lo rechaza entero después (RJCT AM04, sin fondos)",
    )
    parser.add_argument(
        "--referencias-repetidas",
        action="store_true",
        help="cada camt.054 da la misma referencia del banco a todos sus cargos",
    )
    return parser.parse_args(argv)


def faults_from_arguments(arguments: argparse.Namespace) -> BankFaults:
    suffixes = arguments.rechazar_sufijo
    return BankFaults(
        delay_seconds=arguments.retraso,
        reject_account_suffixes=["0000"] if suffixes is None else [s for s in suffixes if s],
        reject_ruts=arguments.rechazar_rut,
        reject_ratio=arguments.proporcion_rechazo,
        seed=arguments.semilla,
        duplicate_messages=arguments.duplicar,
        response_delay_seconds=arguments.demora_respuesta,
        partial=arguments.parcial,
        crash_after_accept=arguments.caer_tras_aceptar,
        garbled_messages=arguments.mensajes_ilegibles,
        repeated_references=arguments.referencias_repetidas,
        reject_resubmissions=arguments.rechazar_reenvios,
        reject_and_debit_ratio=arguments.rechazar_y_cargar,
        debit_then_reject_ratio=arguments.cargar_y_rechazar,
        refuse_files=arguments.rechazar_archivos,
        reject_whole_files=arguments.rechazar_archivos_enteros,
    )


def main(argv: Sequence[str] | None = None) -> None:
    settings = load_settings()
    arguments = parse_arguments(settings, argv)
    configure_logging(settings, "bank")
    uvicorn.run(
        create_app(settings, faults_from_arguments(arguments)),
        host=settings.host,
        port=arguments.puerto,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )


if __name__ == "__main__":
    main()
