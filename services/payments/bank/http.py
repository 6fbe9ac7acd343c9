"""`HttpBankAdapter`: the `BankAdapter` over the gateway's HTTP protocol (the simulator's).

It never retries by itself: a timeout may mean the bank kept the file, so the caller
resubmits, and the bank answers the same MsgId with the same receipt.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, get_args
from urllib.parse import quote

import httpx

from services.payments.bank import BankMessage, MessageKind
from shared.errors import DependencyUnavailable, DomainError

PAGE_SIZE = 1000


class BankUnavailable(DependencyUnavailable):
    """The bank did not answer usefully (down, connection cut, 5xx): try again later."""

    code = "banco_no_disponible"
    title = "Banco no disponible"


class BankTimeout(BankUnavailable):
    """No answer in time. The file may or may not have been kept: resubmit it."""

    code = "banco_sin_respuesta"
    title = "El banco no respondió a tiempo"


class BankRefusedFile(DomainError):
    """The bank refused the file itself (not readable): resubmitting it will not help."""

    code = "archivo_rechazado_por_banco"
    http_status = 422
    title = "Archivo rechazado por el banco"


class HttpBankAdapter:
    def __init__(self, base_url: str, http: httpx.AsyncClient) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = http

    async def submit(self, file_name: str, content: bytes) -> str:
        # Header values travel as ASCII: the name goes percent-encoded (ñ, spaces).
        headers = {
            "X-Nombre-Archivo": quote(file_name, safe=""),
            "Content-Type": "application/xml",
        }
        response = await self._send("POST", "/v1/archivos", content=content, headers=headers)
        if response.status_code in (400, 413, 422):
            raise BankRefusedFile(
                f"El banco rechazó el archivo {file_name}: {_problem_detail(response)}"
            )
        body = _json_body(response, expected=202)
        receipt = body.get("recibo") if isinstance(body, dict) else None
        if not isinstance(receipt, str) or not receipt:
            raise BankUnavailable("El banco respondió sin número de recibo")
        return receipt

    async def messages(self, after: int, limit: int | None = None) -> list[BankMessage]:
        collected: list[BankMessage] = []
        cursor = after
        page_size = PAGE_SIZE if limit is None else min(limit, PAGE_SIZE)
        while True:
            response = await self._send(
                "GET", "/v1/mensajes", params={"despues": cursor, "limite": page_size}
            )
            page = _json_body(response, expected=200)
            if not isinstance(page, list):
                raise BankUnavailable("El banco respondió mensajes en un formato inesperado")
            batch = [_message(item) for item in page]
            collected.extend(batch)
            if len(batch) < page_size or (limit is not None and len(collected) >= limit):
                return collected
            cursor = batch[-1].cursor

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self.http.request(method, f"{self.base_url}{path}", **kwargs)
        except httpx.TimeoutException as exc:
            raise BankTimeout(
                "El banco no respondió a tiempo; el archivo pudo quedar recibido: reenvíelo"
            ) from exc
        except httpx.TransportError as exc:
            raise BankUnavailable(
                f"No se pudo comunicar con el banco ({type(exc).__name__})"
            ) from exc


def _json_body(response: httpx.Response, *, expected: int) -> Any:
    if response.status_code != expected:
        raise BankUnavailable(
            f"El banco respondió {response.status_code}: {_problem_detail(response)}"
        )
    try:
        return response.json()
    except ValueError as exc:
        raise BankUnavailable("El banco respondió algo que no es JSON") from exc


def _message(item: Any) -> BankMessage:
    """A listed message. Without a cursor there is no telling where it stands: the list
    is unusable (try again later). With one, a message of an unknown kind or whose content
    does not decode is returned as unreadable, to be recorded and passed over."""
    try:
        cursor = int(item["cursor"])
    except (KeyError, TypeError, ValueError) as exc:
        raise BankUnavailable("El banco envió un mensaje sin cursor legible") from exc
    message_id = str(item.get("message_id") or f"cursor-{cursor}")
    file_name = str(item.get("file_name") or "")
    kind = item.get("kind")
    if kind not in get_args(MessageKind):
        return _unreadable(cursor, message_id, file_name, f"tipo de mensaje desconocido «{kind}»")
    try:
        content = base64.b64decode(item["content_b64"], validate=True)
    except (KeyError, TypeError, ValueError, binascii.Error):
        return _unreadable(cursor, message_id, file_name, "el contenido no se puede decodificar")
    return BankMessage(cursor, message_id, kind, file_name, content)


def _unreadable(cursor: int, message_id: str, file_name: str, why: str) -> BankMessage:
    return BankMessage(cursor, message_id, "pain.002", file_name, b"", unreadable=why)


def _problem_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or "sin detalle"
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return str(body["detail"])
    return "sin detalle"
