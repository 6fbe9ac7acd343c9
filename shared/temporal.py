"""Connecting to Temporal with the one data converter (pydantic models as JSON)."""

from __future__ import annotations

import asyncio

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from shared.errors import DependencyUnavailable
from shared.settings import Settings

DATA_CONVERTER: DataConverter = pydantic_data_converter


async def connect_temporal(settings: Settings, *, wait_seconds: float = 30.0) -> Client:
    """Connect, retrying while the server comes up."""
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        try:
            return await Client.connect(
                settings.effective_temporal_address,
                namespace=settings.temporal_namespace,
                data_converter=DATA_CONVERTER,
            )
        except Exception as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise DependencyUnavailable(
                    f"No se pudo conectar a Temporal en {settings.effective_temporal_address}"
                ) from exc
            await asyncio.sleep(0.5)
