"""Plans' HTTP bodies."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel


class CaseOut(BaseModel):
    family_id: UUID
    comuna: str
    fecha_derivacion: date
    abierto_en: datetime
