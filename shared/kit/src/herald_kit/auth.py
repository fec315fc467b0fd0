"""API keys: created by `herald-admin`, stored hashed, delivered to every service through the
compacted `apikey.changed` topic, checked locally on every request.

A key reads `hrl_<key_id>_<secret>`. Only SHA-256 of the secret travels and is kept: the
secret is 256 random bits, so a fast hash is enough (no password-style stretching needed).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import Depends, Request
from pydantic import ValidationError

from herald_events import RawEnvelope
from herald_events.models.external import ApiKeyChangedV1
from herald_kit.errors import DomainError
from herald_kit.logs import get_logger
from herald_kit.settings import KafkaSettings

log = get_logger(__name__)
APIKEY_TOPIC = "apikey.changed"
KEY_PREFIX = "hrl"
SYSTEM_WORKSPACE = "*"
ACTING_WORKSPACE_HEADER = "X-Herald-Workspace"


class Unauthorized(DomainError):
    status_code = 401
    title = "Unauthorized"


class Forbidden(DomainError):
    status_code = 403
    title = "Forbidden"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the workspace decides every row the request may see."""

    workspace_id: str
    key_id: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        service = scope.split(":", 1)[0]
        return bool({scope, "*", f"{service}:*"} & self.scopes)


@dataclass(frozen=True)
class StoredKey:
    workspace_id: str
    scopes: frozenset[str]
    secret_sha256: str
    revoked: bool


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key() -> tuple[str, str, str]:
    """(key_id, full key to show once, secret hash to store)."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return key_id, f"{KEY_PREFIX}_{key_id}_{secret}", hash_secret(secret)


def split_key(presented: str) -> tuple[str, str] | None:
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


class ApiKeyStore:
    """A local copy of every key, kept current by tailing `apikey.changed` from its start."""

    def __init__(self) -> None:
        self._keys: dict[str, StoredKey] = {}
        self.caught_up = asyncio.Event()

    def put(self, workspace_id: str, change: ApiKeyChangedV1) -> None:
        self._keys[change.key_id] = StoredKey(
            workspace_id=workspace_id,
            scopes=frozenset(change.scopes),
            secret_sha256=change.secret_sha256,
            revoked=change.revoked,
        )

    def forget(self, key_id: str) -> None:
        self._keys.pop(key_id, None)

    def authenticate(self, presented: str) -> Principal:
        parsed = split_key(presented)
        if parsed is None:
            raise Unauthorized("malformed API key")
        key_id, secret = parsed
        stored = self._keys.get(key_id)
        if stored is None or not hmac.compare_digest(stored.secret_sha256, hash_secret(secret)):
            raise Unauthorized("unknown API key")
        if stored.revoked:
            raise Unauthorized("API key revoked")
        return Principal(workspace_id=stored.workspace_id, key_id=key_id, scopes=stored.scopes)

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        if value is None:
            if key is not None:
                self.forget(key.decode())
            return
        try:
            raw = RawEnvelope.model_validate_json(value)
            change = ApiKeyChangedV1.model_validate(raw.payload)
        except ValidationError:
            log.error("auth.bad_apikey_event")
            return
        self.put(raw.workspace_id, change)

    async def follow(self, kafka: KafkaSettings) -> None:
        """Tail the topic forever. Sets `caught_up` once the start-up backlog is read."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=kafka.bootstrap_servers,
            enable_auto_commit=False,
            client_id=f"{kafka.client_id_prefix}-apikeys",
        )
        await consumer.start()
        try:
            partitions = [
                TopicPartition(APIKEY_TOPIC, p)
                for p in sorted(consumer.partitions_for_topic(APIKEY_TOPIC) or {0})
            ]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            end = await consumer.end_offsets(partitions)
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=1000)
                for records in batches.values():
                    for record in records:
                        self.apply(record.key, record.value)
                if not self.caught_up.is_set() and await _reached(consumer, end):
                    self.caught_up.set()
                    log.info("auth.keys_loaded", keys=len(self._keys))
        finally:
            await consumer.stop()


async def _reached(consumer: AIOKafkaConsumer, end: dict[TopicPartition, int]) -> bool:
    for partition, offset in end.items():
        if await consumer.position(partition) < offset:
            return False
    return True


def get_key_store(request: Request) -> ApiKeyStore:
    store: ApiKeyStore = request.state.key_store
    return store


def authenticate(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer API key in the Authorization header")
    principal = get_key_store(request).authenticate(token.strip())
    if principal.workspace_id != SYSTEM_WORKSPACE:
        return principal
    # A service's own key (e.g. campaigns pulling a snapshot from contacts) names the
    # workspace it acts for on each call; user keys never can.
    acting_for = request.headers.get(ACTING_WORKSPACE_HEADER, "").strip()
    if not acting_for or acting_for == SYSTEM_WORKSPACE:
        raise Unauthorized(f"a service key must name a workspace in {ACTING_WORKSPACE_HEADER}")
    return Principal(workspace_id=acting_for, key_id=principal.key_id, scopes=principal.scopes)


def scope_checker(scope: str) -> Callable[[Principal], Principal]:
    """A dependency that authenticates and checks one scope. Services alias it:
    `ContactsWriter = Annotated[Principal, Depends(scope_checker("contacts:write"))]`."""

    def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not principal.allows(scope):
            raise Forbidden(f"this API key lacks the {scope!r} scope")
        return principal

    return check
