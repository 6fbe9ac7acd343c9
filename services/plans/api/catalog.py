"""`/v1/catalog`: the Matriz de Bienestar a diagnosis and an evaluation are scored on."""

from __future__ import annotations

from fastapi import APIRouter

from services.plans.catalog import catalog_service
from services.plans.schemas import DimensionOut, IndicatorOut, LevelOut
from shared.http.deps import Session as Db

router = APIRouter(prefix="/v1/catalog", tags=["catálogo"])


@router.get("", summary="Dimensiones, indicadores y niveles de la Matriz de Bienestar")
async def catalog(db: Db) -> list[DimensionOut]:
    return [
        DimensionOut(
            codigo=d.code,
            nombre=d.name,
            indicadores=[
                IndicatorOut(
                    codigo=i.code,
                    nombre=i.name,
                    niveles=[LevelOut.model_validate(level) for level in i.levels],
                    critico_hasta=i.critical_at,
                )
                for i in indicators
            ],
        )
        for d, indicators in await catalog_service.dimensions(db)
    ]
