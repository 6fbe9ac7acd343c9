"""What a change checks first: the family is still in the programme and in accompaniment,
and the draft being saved is the version the person edited."""

from __future__ import annotations

from datetime import date

from services.plans.models import Case
from shared.errors import Conflict, IllegalTransition


class StaleVersion(Conflict):
    """Someone else saved this draft first: reload it and apply your change again."""

    code = "version_desactualizada"
    http_status = 412
    title = "El borrador cambió"


def ensure_open(case: Case) -> None:
    if case.exited_on is not None:
        raise IllegalTransition(
            f"La familia egresó del programa ({case.exit_cause}): no admite cambios"
        )


def ensure_committed(case: Case, what: str) -> date:
    """The commitment date: `what` can be recorded only from then on."""
    ensure_open(case)
    if case.committed_on is None:
        raise IllegalTransition(
            f"La familia aún no firma la carta de compromiso: no está en acompañamiento "
            f"y no se puede registrar {what}"
        )
    return case.committed_on


def check_version(current: int, expected: int | None, what: str) -> None:
    if expected is not None and expected != current:
        raise StaleVersion(
            f"Otra persona modificó {what} mientras usted lo editaba (versión {current}, "
            f"usted tenía la {expected}). Recárguelo y vuelva a aplicar su cambio.",
            current_version=current,
        )
