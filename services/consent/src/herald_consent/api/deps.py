"""Dependency aliases: route signatures read like prose."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header

from herald_kit.auth import Principal, scope_checker

ConsentReader = Annotated[Principal, Depends(scope_checker("consent:read"))]
ConsentWriter = Annotated[Principal, Depends(scope_checker("consent:write"))]

# A retry with the same key returns the first answer and records nothing twice.
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)
]
