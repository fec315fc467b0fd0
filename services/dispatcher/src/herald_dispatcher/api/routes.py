"""`/v1/routes`: the configured gateway routes (configuration only: the binds live in the
consumer process, not in the API)."""

from __future__ import annotations

from fastapi import APIRouter

from herald_dispatcher import service
from herald_dispatcher.api.deps import DispatcherReader
from herald_dispatcher.schemas import RouteRead
from herald_dispatcher.settings import get_settings
from herald_kit.pagination import Page

router = APIRouter(prefix="/v1/routes", tags=["routes"])


@router.get("")
async def list_routes(principal: DispatcherReader) -> Page[RouteRead]:
    return Page[RouteRead](items=service.list_routes(get_settings()))
