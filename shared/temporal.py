"""Connecting to Temporal with the one data converter (pydantic models as JSON)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.service import RPCError, RPCStatusCode

from shared.errors import DependencyUnavailable
from shared.settings import Settings

DATA_CONVERTER: DataConverter = pydantic_data_converter
# Closed workflows stay visible this long: an auditor reads a family's history a year later.
RETENTION_SECONDS = 3 * 365 * 24 * 3600


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


async def ensure_namespace(
    client: Client, namespace: str, search_attributes: Mapping[str, str]
) -> None:
    """Create the namespace and its search attributes on a server that lacks them.

    The embedded dev server is started with both; an external Temporal (`TEMPORAL_ADDRESS`)
    may be empty, and the worker makes it ready instead of failing on its first workflow.
    """
    try:
        await client.workflow_service.register_namespace(
            RegisterNamespaceRequest(
                namespace=namespace,
                workflow_execution_retention_period=Duration(seconds=RETENTION_SECONDS),
            )
        )
    except RPCError as exc:
        if exc.status == RPCStatusCode.UNIMPLEMENTED:
            # Temporal's time-skipping test server (tests/chaos) has one namespace and no
            # namespace API; whoever started it registered the search attributes.
            return
        if exc.status != RPCStatusCode.ALREADY_EXISTS:
            raise
    listed = None
    for _ in range(60):  # a new namespace takes a few seconds to reach every server cache
        try:
            listed = await client.operator_service.list_search_attributes(
                ListSearchAttributesRequest(namespace=namespace)
            )
            break
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            await asyncio.sleep(0.5)
    if listed is None:
        raise DependencyUnavailable(f"Temporal no reconoce el namespace {namespace}")
    missing = {
        name: IndexedValueType.Value(f"INDEXED_VALUE_TYPE_{kind.upper()}")
        for name, kind in search_attributes.items()
        if name not in listed.custom_attributes
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
        )
