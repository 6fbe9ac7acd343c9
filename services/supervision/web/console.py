"""The console's router: home, the profile selector, the stylesheet and every page."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from services.supervision.web.board_page import router as board_router
from services.supervision.web.family_page import router as family_router
from services.supervision.web.org_chart_page import router as org_chart_router
from services.supervision.web.payments_page import router as payments_router
from services.supervision.web.rendering import STYLESHEET, local_path, render
from services.supervision.web.roles import PROFILE_COOKIE, USER_COOKIE, Profile
from services.supervision.web.search_page import router as search_router

router = APIRouter(include_in_schema=False)
for pages in (family_router, board_router, search_router, org_chart_router, payments_router):
    router.include_router(pages)

A_YEAR = 365 * 24 * 3600


@router.get("/")
async def home(request: Request) -> Response:
    return render(request, "inicio.html", {})


@router.post("/perfil")
async def choose_profile(
    perfil: Annotated[Profile, Form()],
    usuario: Annotated[str, Form(max_length=80)] = "",
    volver: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Placeholder for authentication (see roles.py): remember the chosen profile."""
    response = RedirectResponse(local_path(volver), status_code=303)
    # SameSite=Lax: a form on another site posts without the cookie, i.e. as the read-only
    # default profile, so it cannot act on a family.
    for cookie, value in ((PROFILE_COOKIE, perfil.value), (USER_COOKIE, quote(usuario.strip()))):
        response.set_cookie(cookie, value, max_age=A_YEAR, httponly=True, samesite="lax")
    return response


@router.get("/estatico/consola.css")
async def stylesheet() -> Response:
    # The URL carries the content's hash (rendering.STYLESHEET_VERSION): cache it for good.
    return FileResponse(
        STYLESHEET,
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
