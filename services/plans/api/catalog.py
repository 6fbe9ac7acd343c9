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
            code=d.code,
            name=d.name,
            indicators=[
                IndicatorOut(
                    code=i.code,
                    name=i.name,
                    levels=[LevelOut(level=n["nivel"], name=n["nombre"]) for n in i.levels],
                    critical_at=i.critical_at,
                )
                for i in indicators
            ],
        )
        for d, indicators in await catalog_service.dimensions(db)
    ]
