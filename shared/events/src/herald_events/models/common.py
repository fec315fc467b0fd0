"""Value types shared by several event payloads."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

E164 = Annotated[str, StringConstraints(pattern=r"^\+[1-9]\d{6,14}$")]


class Payload(BaseModel):
    """Base of every payload: unknown fields are kept so older consumers tolerate additions."""

    model_config = ConfigDict(extra="allow", frozen=True)


class Category(StrEnum):
    MARKETING = "marketing"
    TRANSACTIONAL = "transactional"


class Purpose(StrEnum):
    MARKETING = "marketing"
    TRANSACTIONAL = "transactional"
