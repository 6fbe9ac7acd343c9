"""`/buscar?q=`: a family by RUT (any format), name, nómina code or internal id.

The query is personal data: it goes to intake's search and back to the page, never to a log.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from services.supervision.clients import ServiceClient
from services.supervision.web.rendering import render
from services.supervision.web.roles import current_profile, shown_rut
from shared.errors import DomainError, NotFound

router = APIRouter(include_in_schema=False)

SEARCH_PATH = "/v1/families/search"


class WithoutSearchQueries(logging.Filter):
    """httpx logs every request URL at INFO; a search URL carries a name or a RUT."""

    def filter(self, record: logging.LogRecord) -> bool:
        return SEARCH_PATH not in record.getMessage()


logging.getLogger("httpx").addFilter(WithoutSearchQueries())


@router.get("/buscar")
async def search(request: Request, q: Annotated[str, Query(max_length=120)] = "") -> Response:
    query = " ".join(q.split())
    profile = current_profile(request)
    intake: ServiceClient = request.app.state.services["intake"]
    results: list[dict[str, Any]] = []
    problem = None
    if len(query) >= 2:
        try:
            family_id = UUID(query)
        except ValueError:
            family_id = None
        try:
            if family_id is not None:
                await intake.get(f"/v1/families/{family_id}")
                return RedirectResponse(f"/familias/{family_id}", status_code=303)
            results = await intake.get(SEARCH_PATH, q=query)
        except NotFound:
            results = []
        except DomainError as exc:
            problem = exc.message
    elif query:
        problem = "Escriba al menos 2 caracteres"
    rows = [
        {
            "id": f["id"],
            "id_familia": f["family_code"],
            "comuna": f["comuna"],
            "cohorte": f["cohort_year"],
            "estado": f["status"],
            "integrantes": len(f["members"]),
            "representante": f["representative"]["name"] if f["representative"] else None,
            "rut": shown_rut(profile, f["representative"]["run"]) if f["representative"] else None,
        }
        for f in results
    ]
    return render(request, "buscar.html", {"q": query, "resultados": rows, "problema": problem})
