"""Plans' HTTP bodies: English field names; codes and what people read stay Spanish."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, computed_field

from services.plans import rules
from services.plans.rules import Attendance, SessionKindCode

MAX_GOALS = 60  # of a plan; sessions and the evaluation refer to them by id
GoalIds = Annotated[list[UUID], Field(max_length=MAX_GOALS)]
Notes = Annotated[str | None, Field(max_length=4000)]


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    family_id: UUID
    comuna: str | None
    referred_on: date | None
    opened_at: datetime
    committed_on: date | None = None
    apoyo_familiar_id: UUID | None = None
    exited_on: date | None = None
    exit_cause: str | None = None


class LevelOut(BaseModel):
    level: int
    name: str


class IndicatorOut(BaseModel):
    code: str
    name: str
    levels: list[LevelOut]
    critical_at: int = Field(description="Niveles iguales o menores son críticos")


class DimensionOut(BaseModel):
    code: str
    name: str
    indicators: list[IndicatorOut]


class DiagnosisItem(BaseModel):
    """One indicator's score, in a diagnosis or a final evaluation.

    Both store their items as JSONB under the first release's keys (indicador, nivel,
    notas, integrantes); `stored` and `from_stored` are the one translation.
    """

    model_config = ConfigDict(extra="forbid")

    indicator: str = Field(min_length=1, max_length=60)
    level: int | None = Field(None, ge=0, le=10)
    notes: str | None = Field(None, max_length=2000)
    members: list[UUID] = Field(default_factory=list, max_length=30)

    @classmethod
    def from_stored(cls, item: Mapping[str, Any]) -> DiagnosisItem:
        return cls(
            indicator=item["indicador"],
            level=item.get("nivel"),
            notes=item.get("notas"),
            members=item.get("integrantes", []),
        )

    def stored(self) -> dict[str, Any]:
        return {
            "indicador": self.indicator,
            "nivel": self.level,
            "notas": self.notes,
            "integrantes": [str(m) for m in self.members],
        }


class DiagnosisIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[DiagnosisItem] = Field(max_length=200)


class DiagnosisOut(BaseModel):
    id: UUID
    family_id: UUID
    status: str
    version: int
    items: list[DiagnosisItem]
    completed_by: str | None
    completed_on: date | None


class GoalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dimension: str = Field(min_length=1, max_length=40)
    description: str = Field(min_length=3, max_length=2000)
    actions: list[str] = Field(default_factory=list, max_length=30)
    responsible_member_id: UUID | None = None
    target_date: date | None = None
    status: Literal["pendiente", "en_curso", "lograda", "no_lograda"] = "pendiente"


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    asl_adults: int = Field(0, ge=0, le=2, description="Adultos con acompañamiento sociolaboral")
    goals: list[GoalIn] = Field(max_length=MAX_GOALS)


class GoalOut(GoalIn):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    # The table calls it dimension_code.
    dimension: str = Field(validation_alias=AliasChoices("dimension", "dimension_code"))


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    family_id: UUID
    revision: int
    status: str
    version: int = Field(validation_alias=AliasChoices("version", "lock_version"))
    asl_adults: int
    goals: list[GoalOut]
    signed_on: date | None
    signed_by: str | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def trajectory(self) -> Literal["simple", "doble"]:
        return rules.trajectory(self.asl_adults)


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signed_on: date


class SessionIn(BaseModel):
    """What a professional records at the door, in under a minute."""

    model_config = ConfigDict(extra="forbid")

    held_on: date
    kind: SessionKindCode
    attendance: Attendance
    dimensions: list[str] = Field(default_factory=list, max_length=10)
    goal_ids: GoalIds = []
    attendee_ids: list[UUID] = Field(default_factory=list, max_length=30)
    notes: Notes = None


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    family_id: UUID
    held_on: date
    kind: str
    attendance: str
    dimensions: list[str]
    goal_ids: list[str]
    attendee_ids: list[str]
    notes: str | None
    professional: str
    warning: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kind_label(self) -> str:
        return rules.SESSION_KINDS[self.kind].label


class EvaluationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    evaluated_on: date | None = None
    items: list[DiagnosisItem] = Field(max_length=200)
    goals_achieved: GoalIds = []
    notes: Notes = None


class ComparisonRow(BaseModel):
    """One indicator before (diagnosis) and after (final evaluation)."""

    dimension: str
    indicator: str
    name: str
    before: int | None
    after: int | None
    change: int | None


class AbandonmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["aviso", "visita", "informe", "recomendacion"]
    dated: date
    content: str = Field(min_length=3, max_length=8000)
    recommendation: Literal["egreso", "reincorporacion"] | None = None


class AbandonmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    kind: str
    dated: date
    author: str
    content: str
    recommendation: str | None


class TaskOut(BaseModel):
    family_id: UUID
    kind: str
    kind_label: str
    due_on: date | None
    overdue: bool
