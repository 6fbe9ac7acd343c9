"""The CLI's HTTP client to our services; problem+json answers become Spanish messages."""

from __future__ import annotations

import getpass
import os
from typing import Any

import httpx
import typer

from cli.output import ExitCode, errors
from shared.settings import Settings


def current_user() -> str:
    """Who is acting, for the audit log: `FAMILIAS_USUARIO`, else the login name."""
    return os.environ.get("FAMILIAS_USUARIO") or getpass.getuser()


class Api:
    def __init__(self, settings: Settings, *, timeout: float | None = None) -> None:
        self.settings = settings
        self.http = httpx.Client(
            timeout=timeout or settings.request_timeout_seconds * 2,
            headers={"X-Familias-Usuario": current_user()},
        )

    def request(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.settings.service_url(service)}{path}"
        try:
            response = self.http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            errors.print(f"[red]No se pudo contactar el servicio {service} ({url}).[/red]")
            raise typer.Exit(ExitCode.UNAVAILABLE) from exc
        if response.status_code >= 400:
            fail(response)
        return response.json() if response.content else None

    def get(self, service: str, path: str, **params: Any) -> Any:
        return self.request(service, "GET", path, params=params)


def fail(response: httpx.Response) -> None:
    try:
        body = response.json()
        detail = body.get("detail") or body.get("title") or response.text
    except ValueError:
        detail = response.text
    errors.print(f"[red]{detail}[/red]")
    code = {
        404: ExitCode.NOT_FOUND,
        409: ExitCode.REFUSED,
        422: ExitCode.REFUSED,
        503: ExitCode.UNAVAILABLE,
    }.get(response.status_code, ExitCode.FAILED)
    raise typer.Exit(code)
