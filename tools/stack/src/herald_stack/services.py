"""The processes of the local stack as data: ports, databases, commands and environment.

The table is docs/runtime-conventions.md; keep the two in step. Infrastructure ports can be
moved with HERALD_STACK_PG_PORT, HERALD_STACK_KAFKA_PORT and HERALD_STACK_KAFKA_CONTROLLER_PORT
(to run a second stack beside the first, or beside another PostgreSQL); service ports are fixed.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from herald_stack.ports import HOST

Role = Literal["api", "consumer", "relay"]
ROLES: tuple[Role, ...] = ("api", "consumer", "relay")

# Below Linux's ephemeral range (32768-60999): a port there can be held by a client
# connection's TIME_WAIT and refuse to bind.
PG_PORT = 15432
KAFKA_PORT = 19092
KAFKA_CONTROLLER_PORT = 19093
SMSC_SMPP_PORT = 2775
SMSC_HTTP_PORT = 8190
SMPP_SYSTEM_ID = "herald"
SMPP_PASSWORD = "loc4ldev"  # SMPP 3.4 passwords are at most 8 characters
# The HMAC key of erased numbers' pseudonyms (consent and dispatcher): local use only.
ERASURE_KEY = "local-dev-erasure-key-not-for-production"
# The workspace that owns the simulator's short code: handset replies (STOP...) belong to it.
SHORT_CODE_WORKSPACE = "demo"
SHORT_CODE = "36111"
# The local stack's dispatcher sends at any hour of any day (one minute a night aside: the
# `default` pack closes at 23:59), so that the demo and the e2e tests run whenever they are
# started; deployments keep the FR-strict default. HERALD_DISPATCHER_COMPLIANCE__PACKS in
# the environment of `herald-stack up` replaces it; workspaces may set their own rules
# (`PUT /v1/sending-rules`), as the e2e test of held messages does.
LOCAL_SENDING_PACKS = (
    '[{"name": "default", "options": {"opens": "00:00", "closes": "23:59", "days": "Mon-Sun",'
    ' "holidays": false}}]'
)


@dataclass(frozen=True)
class Service:
    name: str
    api_port: int
    consumer_port: int
    relay_port: int

    @property
    def database(self) -> str:
        return f"herald_{self.name}"

    @property
    def script(self) -> str:
        return f"herald-{self.name}"

    @property
    def env_prefix(self) -> str:
        return f"HERALD_{self.name.upper()}_"

    def port(self, role: Role) -> int:
        return {"api": self.api_port, "consumer": self.consumer_port, "relay": self.relay_port}[
            role
        ]


SERVICES: tuple[Service, ...] = (
    Service("contacts", 8101, 8201, 8301),
    Service("consent", 8102, 8202, 8302),
    Service("campaigns", 8103, 8203, 8303),
    Service("dispatcher", 8104, 8204, 8304),
    Service("receipts", 8105, 8205, 8305),
    Service("analytics", 8106, 8206, 8306),
)
CONTACTS_URL = f"http://{HOST}:{SERVICES[0].api_port}"


def _env_port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class Infra:
    """Where PostgreSQL and Kafka listen."""

    pg_port: int = PG_PORT
    kafka_port: int = KAFKA_PORT
    kafka_controller_port: int = KAFKA_CONTROLLER_PORT

    @classmethod
    def from_env(cls) -> Infra:
        return cls(
            _env_port("HERALD_STACK_PG_PORT", PG_PORT),
            _env_port("HERALD_STACK_KAFKA_PORT", KAFKA_PORT),
            _env_port("HERALD_STACK_KAFKA_CONTROLLER_PORT", KAFKA_CONTROLLER_PORT),
        )

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.kafka_port}"

    def db_url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@{HOST}:{self.pg_port}/{database}"


@dataclass(frozen=True)
class ProcessSpec:
    """One long-running process: how to start it and how to tell it is ready."""

    name: str
    script: str
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    ports: tuple[int, ...] = ()
    ready_url: str | None = None  # None: ready once every port listens

    @property
    def argv(self) -> list[str]:
        return script_command(self.script, *self.args)


def script_command(script: str, *args: str) -> list[str]:
    """A console script of our own virtualenv, else `uv run --no-sync`.

    Running the script directly keeps `uv` out of the process tree, so the pid we record is
    the service itself and signals reach it without a wrapper in between.
    """
    local = Path(sys.executable).parent / script
    return [str(local), *args] if local.is_file() else ["uv", "run", "--no-sync", script, *args]


def missing_reason(script: str) -> str | None:
    """Why `script` cannot run here (not installed, module not written), or None if it can."""
    found = importlib.metadata.entry_points(group="console_scripts", name=script)
    if not found:
        return f"{script} is not installed in this environment"
    module = next(iter(found)).module
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as exc:
        return f"{script}: cannot import {module} ({exc})"
    return None if spec is not None else f"{script}: module {module} does not exist yet"


def service_env(service: Service, role: Role | Literal["migrate"], infra: Infra) -> dict[str, str]:
    """The environment one process of a service needs (see runtime-conventions.md)."""
    prefix = service.env_prefix
    env = {
        "PYTHONUNBUFFERED": "1",
        f"{prefix}DB__URL": infra.db_url(service.database),
        f"{prefix}KAFKA__BOOTSTRAP_SERVERS": infra.bootstrap,
        f"{prefix}API__HOST": HOST,
        f"{prefix}API__PORT": str(service.api_port),
        f"{prefix}HEALTH__HOST": HOST,
    }
    if role in ("consumer", "relay"):
        env[f"{prefix}HEALTH__PORT"] = str(service.port(role))
    if service.name == "campaigns":
        env["HERALD_CAMPAIGNS_CONTACTS__URL"] = CONTACTS_URL
        # Marketing texts end with "STOP au 36111": the simulator's short code.
        env["HERALD_CAMPAIGNS_MENTION__SHORT_CODE"] = SHORT_CODE
    if service.name in ("consent", "dispatcher"):
        env[f"{prefix}ERASURE__KEY"] = ERASURE_KEY
    if service.name == "dispatcher":
        env |= {
            "HERALD_DISPATCHER_SMPP__HOST": HOST,
            "HERALD_DISPATCHER_SMPP__PORT": str(SMSC_SMPP_PORT),
            "HERALD_DISPATCHER_SMPP__SYSTEM_ID": SMPP_SYSTEM_ID,
            "HERALD_DISPATCHER_SMPP__PASSWORD": SMPP_PASSWORD,
            "HERALD_DISPATCHER_SMPP__WORKSPACE_ID": SHORT_CODE_WORKSPACE,
            "HERALD_DISPATCHER_SMPP__SOURCE_ADDR_DEFAULT": SHORT_CODE,
            "HERALD_DISPATCHER_COMPLIANCE__PACKS": os.environ.get(
                "HERALD_DISPATCHER_COMPLIANCE__PACKS", LOCAL_SENDING_PACKS
            ),
        }
    return env


def service_process(service: Service, role: Role, infra: Infra) -> ProcessSpec:
    port = service.port(role)
    return ProcessSpec(
        name=f"{service.name}-{role}",
        script=service.script,
        args=(role,),
        env=service_env(service, role, infra),
        ports=(port,),
        ready_url=f"http://{HOST}:{port}/readyz",
    )


def simulator_process() -> ProcessSpec:
    return ProcessSpec(
        name="smsc",
        script="herald-smsc",
        args=("--smpp-port", str(SMSC_SMPP_PORT), "--http-port", str(SMSC_HTTP_PORT)),
        env={"PYTHONUNBUFFERED": "1"},
        ports=(SMSC_HTTP_PORT, SMSC_SMPP_PORT),
    )
