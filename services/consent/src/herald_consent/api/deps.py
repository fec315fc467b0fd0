"""Dependency aliases: route signatures read like prose."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from herald_kit.auth import Principal, scope_checker

ConsentReader = Annotated[Principal, Depends(scope_checker("consent:read"))]
ConsentWriter = Annotated[Principal, Depends(scope_checker("consent:write"))]
