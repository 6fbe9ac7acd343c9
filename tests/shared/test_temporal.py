"""Preparing an external Temporal server: namespace and search attributes."""

from __future__ import annotations

from uuid import uuid4

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest

from shared.contracts.lifecycle import SEARCH_ATTRIBUTES
from shared.settings import Settings
from shared.temporal import connect_temporal, ensure_namespace


async def test_an_empty_server_gets_the_namespace_and_search_attributes(
    settings: Settings,
) -> None:
    namespace = f"vacio-{uuid4().hex[:8]}"
    client = await connect_temporal(settings.model_copy(update={"temporal_namespace": namespace}))

    await ensure_namespace(client, namespace, SEARCH_ATTRIBUTES)
    await ensure_namespace(client, namespace, SEARCH_ATTRIBUTES)  # a second start is harmless

    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=namespace)
    )
    assert set(SEARCH_ATTRIBUTES) <= set(listed.custom_attributes)
