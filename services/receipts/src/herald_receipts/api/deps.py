"""Dependency aliases: route signatures read like prose."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from herald_kit.auth import Principal, scope_checker

ReceiptsReader = Annotated[Principal, Depends(scope_checker("receipts:read"))]
ReceiptsWriter = Annotated[Principal, Depends(scope_checker("receipts:write"))]
