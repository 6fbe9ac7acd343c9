"""`/organigrama`: the unit's people as a tree by who each reports to (intake's staff)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from services.supervision.clients import ServiceClient
from services.supervision.web.rendering import error_page, render
from shared.errors import DomainError

router = APIRouter(include_in_schema=False)


@dataclass
class Position:
    person: dict[str, Any]
    reports: list[Position] = field(default_factory=list)


def org_tree(staff: list[dict[str, Any]]) -> list[Position]:
    """Roots are people with no head in the list; a loop in the data cannot hide anyone."""
    positions = {s["id"]: Position(s) for s in staff}
    roots: list[Position] = []
    for person in staff:
        head = positions.get(person.get("reports_to_id") or "")
        if head is None or _reports_to(positions, head.person["id"], person["id"]):
            roots.append(positions[person["id"]])
        else:
            head.reports.append(positions[person["id"]])
    return roots


def _reports_to(positions: dict[str, Position], start: str, target: str) -> bool:
    """Whether `start`'s chain of heads reaches `target` (a cycle in reports_to_id)."""
    seen: set[str] = set()
    current: str | None = start
    while current and current not in seen:
        if current == target:
            return True
        seen.add(current)
        position = positions.get(current)
        current = position.person.get("reports_to_id") if position else None
    return False


@router.get("/organigrama")
async def org_chart(
    request: Request, comuna: Annotated[str, Query(max_length=80)] = ""
) -> Response:
    comuna = " ".join(comuna.split())
    intake: ServiceClient = request.app.state.services["intake"]
    try:
        staff = await intake.get("/v1/staff", **({"comuna": comuna} if comuna else {}))
    except DomainError as exc:
        return error_page(request, 503, "Organigrama no disponible", exc.message)
    roles: dict[str, int] = {}
    for person in staff:
        roles[person["role_label"]] = roles.get(person["role_label"], 0) + 1
    return render(
        request,
        "organigrama.html",
        {"comuna": comuna, "raices": org_tree(staff), "roles": roles, "total": len(staff)},
    )
