"""Dependency aliases: route signatures read like prose."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from herald_kit.auth import Principal, scope_checker

DispatcherReader = Annotated[Principal, Depends(scope_checker("dispatcher:read"))]
DispatcherWriter = Annotated[Principal, Depends(scope_checker("dispatcher:write"))]
