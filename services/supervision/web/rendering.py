"""How the console answers: Jinja2 templates, Santiago time, one-shot notices, no caching."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from services.supervision.web.roles import PROFILE_LABELS, current_profile, current_user_name

HERE: Final = Path(__file__).parent
STYLESHEET: Final = HERE / "static" / "consola.css"
# Part of the stylesheet's URL, so browsers may cache it for good and still see a new one.
STYLESHEET_VERSION: Final = hashlib.sha256(STYLESHEET.read_bytes()).hexdigest()[:10]
NOTICE_COOKIE: Final = "aviso"
SANTIAGO: Final = ZoneInfo("America/Santiago")

templates = Jinja2Templates(directory=str(HERE / "templates"))


def local_time(value: datetime | str | None) -> str:
    """A moment as Chilean staff read it: `05-03-2025 14:30` in America/Santiago."""
    if value is None:
        return "—"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return moment.strftime("%d-%m-%Y %H:%M")
    return moment.astimezone(SANTIAGO).strftime("%d-%m-%Y %H:%M")


def local_date(value: date | str | None) -> str:
    if value is None or value == "":
        return "—"
    day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return day.strftime("%d-%m-%Y")


def thousands(value: int) -> str:
    return f"{value:,}".replace(",", ".")


templates.env.filters["hora"] = local_time
templates.env.filters["fecha"] = local_date
templates.env.filters["miles"] = thousands


def render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    profile = current_profile(request)
    notice = read_notice(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = templates.TemplateResponse(
        request,
        template,
        {
            "perfil": profile,
            "perfiles": PROFILE_LABELS,
            "perfil_nombre": PROFILE_LABELS[profile],
            "usuario": current_user_name(request),
            "aqui": here,
            "aviso": notice,
            "css_version": STYLESHEET_VERSION,
            **context,
        },
        status_code=status_code,
    )
    # Family data is sensitive: no copy stays in a shared computer's cache.
    response.headers["Cache-Control"] = "no-store"
    if notice is not None:
        response.delete_cookie(NOTICE_COOKIE, path=request.url.path)
    return response


def error_page(request: Request, status_code: int, title: str, detail: str) -> HTMLResponse:
    return render(
        request, "error.html", {"titulo": title, "detalle": detail}, status_code=status_code
    )


def redirect_with_notice(path: str, kind: str, text: str) -> Response:
    """Redirect-after-post carrying one notice for the next page, in a short-lived cookie."""
    response = RedirectResponse(path, status_code=303)
    value = quote(json.dumps({"tipo": kind, "texto": text[:500]}, ensure_ascii=False))
    response.set_cookie(NOTICE_COOKIE, value, max_age=120, path=path, httponly=True, samesite="lax")
    return response


def read_notice(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(NOTICE_COOKIE)
    if not raw:
        return None
    try:
        notice = json.loads(unquote(raw))
    except ValueError:
        return None
    if not isinstance(notice, dict) or notice.get("tipo") not in ("ok", "error"):
        return None
    return {"tipo": str(notice["tipo"]), "texto": str(notice.get("texto", ""))}


def local_path(target: str | None) -> str:
    """Where to go back to after a form: only a path on this site, never another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
