"""The operator's decisions on a family's process (DOMAIN.md §2). Each is an update of the
family's FamilyLifecycle workflow, whose validator refuses an illegal one with its reason;
the console's forms and the JSON API take them alike."""

from __future__ import annotations

from enum import StrEnum
from typing import Final, NamedTuple

from pydantic import BaseModel

from shared.contracts.lifecycle import (
    UPDATE_CLOSE,
    UPDATE_CORRECT_DATE,
    UPDATE_DECIDE_ABANDONMENT,
    UPDATE_PAUSE,
    UPDATE_RESUME,
    AbandonmentDecision,
    CloseRequest,
    DateCorrection,
    PauseRequest,
)


class Action(StrEnum):
    """Operator actions on a family's process; values are the console's URL segments."""

    DECIDE_ABANDONMENT = "decidir-abandono"
    CLOSE = "cerrar"
    PAUSE = "pausar"
    RESUME = "reanudar"
    CORRECT_DATE = "corregir-fecha"


class Update(NamedTuple):
    name: str  # the workflow's update, named in Spanish for operators (ARCHITECTURE.md)
    argument: type[BaseModel]


UPDATES: Final[dict[Action, Update]] = {
    Action.DECIDE_ABANDONMENT: Update(UPDATE_DECIDE_ABANDONMENT, AbandonmentDecision),
    Action.CLOSE: Update(UPDATE_CLOSE, CloseRequest),
    Action.PAUSE: Update(UPDATE_PAUSE, PauseRequest),
    Action.RESUME: Update(UPDATE_RESUME, PauseRequest),
    Action.CORRECT_DATE: Update(UPDATE_CORRECT_DATE, DateCorrection),
}
