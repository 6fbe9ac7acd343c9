"""The Matriz de Bienestar: dimensions, and the indicators scored in each."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.plans.models import Dimension, Indicator
from services.plans.repository import catalog as repository


class CatalogService:
    async def indicators(self, session: AsyncSession) -> dict[str, Indicator]:
        """The active indicators by code, in the matrix's order."""
        return {i.code: i for i in await repository.active_indicators(session)}

    async def dimensions(self, session: AsyncSession) -> list[tuple[Dimension, list[Indicator]]]:
        """Each active dimension with its active indicators, both in the matrix's order."""
        indicators = await repository.active_indicators(session)
        return [
            (d, [i for i in indicators if i.dimension_code == d.code])
            for d in await repository.active_dimensions(session)
        ]


catalog_service = CatalogService()
