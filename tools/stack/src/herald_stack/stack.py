"""The local stack as a whole: PostgreSQL, Kafka, the SMSC simulator and the services, all
under one state folder, started in dependency order and stopped in reverse."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from herald_kit.admin import create_api_key
from herald_kit.auth import SYSTEM_WORKSPACE
from herald_kit.settings import KafkaSettings
from herald_stack.errors import StackError
from herald_stack.kafka import KafkaBroker, ensure_kafka_jars
from herald_stack.paths import state_dir
from herald_stack.ports import ensure_ports_free, wait_for_port
from herald_stack.postgres import PostgresCluster, ensure_postgres_installed
from herald_stack.processes import (
    ProcessStatus,
    Supervisor,
    log_tail,
    process_status,
    wait_http_ok,
)
from herald_stack.services import (
    ROLES,
    SERVICES,
    Infra,
    ProcessSpec,
    Service,
    missing_reason,
    script_command,
    service_env,
    service_process,
    simulator_process,
)
from herald_stack.topics import catalogue_plan, create_topics

MIGRATE_TIMEOUT = 180.0
SERVICE_KEY_FILE = "campaigns-service-key"


@dataclass(frozen=True)
class Problem:
    """Something `up` could not do for one process; the rest of the stack still starts."""

    name: str
    reason: str


class LocalStack:
    def __init__(self, root: Path, infra: Infra, say: Callable[[str], None]) -> None:
        self.root = root
        self.infra = infra
        self.say = say
        self.postgres = PostgresCluster(root / "postgres", infra.pg_port)
        self.kafka = KafkaBroker(root / "kafka", infra.kafka_port, infra.kafka_controller_port)
        self.supervisor = Supervisor(root)

    @classmethod
    def from_env(cls, say: Callable[[str], None]) -> LocalStack:
        return cls(state_dir(), Infra.from_env(), say)

    def service_processes(self) -> list[ProcessSpec]:
        return [service_process(svc, role, self.infra) for role in ROLES for svc in SERVICES]

    def all_processes(self) -> list[ProcessSpec]:
        """The simulator first, then every service's api, consumer and relay: the start order."""
        return [simulator_process(), *self.service_processes()]

    def check_prerequisites(self) -> None:
        ensure_postgres_installed()
        ensure_kafka_jars()

    def check_ports(self, processes: Sequence[ProcessSpec]) -> None:
        """Refuse to start anything when a port we still need is held by someone else."""
        owners: dict[int, str] = {}
        if not self.postgres.is_running():
            owners[self.infra.pg_port] = "postgres"
        if not self.kafka.is_running():
            owners[self.infra.kafka_port] = "kafka"
            owners[self.infra.kafka_controller_port] = "kafka controller"
        for spec in processes:
            if not self.supervisor.is_running(spec.name):
                owners |= dict.fromkeys(spec.ports, spec.name.replace("-", " "))
        ensure_ports_free(owners)

    def start_infra(self) -> None:
        """PostgreSQL, Kafka, the service databases and the catalogue's topics."""
        for name, server in (("postgres", self.postgres), ("kafka", self.kafka)):
            if server.is_running():
                self.say(f"{name} is already running")
                continue
            started = time.monotonic()
            server.start()
            self.say(f"{name} started in {time.monotonic() - started:.1f} s")
        for service in SERVICES:
            self.postgres.create_database(service.database)
        created = asyncio.run(create_topics(self.infra.bootstrap, catalogue_plan()))
        self.say(f"topics: {len(created)} created" if created else "topics: all present")

    def service_key(self) -> str:
        """The key campaigns uses to pull audience snapshots from contacts.

        A service key (workspace "*") names the workspace on each call. It is created once
        per stack, through Kafka like any key, and kept beside the data it lives in.
        """
        path = self.root / SERVICE_KEY_FILE
        if path.is_file() and self.kafka.data_dir.is_dir():
            return path.read_text().strip()
        key = asyncio.run(
            create_api_key(
                KafkaSettings(bootstrap_servers=self.infra.bootstrap),
                SYSTEM_WORKSPACE,
                "campaigns-service",
                ["contacts:read"],
            )
        )
        path.write_text(key + "\n")
        path.chmod(0o600)
        return key

    def with_secrets(self, spec: ProcessSpec) -> ProcessSpec:
        if not spec.script.endswith("-campaigns"):
            return spec
        env = {**spec.env, "HERALD_CAMPAIGNS_CONTACTS__API_KEY": self.service_key()}
        return replace(spec, env=env)

    def runnable(self, processes: Sequence[ProcessSpec]) -> tuple[list[ProcessSpec], list[Problem]]:
        """Split processes into those whose program exists and those not written yet."""
        ready, missing = [], []
        for spec in processes:
            reason = missing_reason(spec.script)
            if reason is None:
                ready.append(spec)
            else:
                missing.append(Problem(spec.name, reason))
        return ready, missing

    def migrate(self, service: Service) -> None:
        """Run the service's one-shot `migrate` command; output in logs/<svc>-migrate.log."""
        self.supervisor.run_once(
            f"{service.name}-migrate",
            script_command(service.script, "migrate"),
            service_env(service, "migrate", self.infra),
            MIGRATE_TIMEOUT,
        )

    def start(self, processes: Sequence[ProcessSpec]) -> None:
        started = 0
        for spec in processes:
            if self.supervisor.is_running(spec.name):
                self.say(f"{spec.name} is already running")
            else:
                self.supervisor.start(spec.name, spec.argv, spec.env)
                started += 1
        if started:
            self.say(f"{started} processes started; waiting until they are ready")

    def up(self, *, only_infra: bool, timeout: float) -> tuple[list[Problem], list[Problem]]:
        """Start whatever is not running yet, in dependency order.

        Returns (skipped, failed): processes whose program does not exist yet, and processes
        that failed to migrate or to become ready. Neither stops the rest of the stack;
        a missing prerequisite or a taken port raises before anything starts.
        """
        runnable, skipped = self.runnable([] if only_infra else self.all_processes())
        self.check_prerequisites()
        self.check_ports(runnable)
        self.start_infra()
        failed = []
        for service in SERVICES:
            if not any(spec.script == service.script for spec in runnable):
                continue
            try:
                self.migrate(service)
            except StackError as exc:
                failed.append(Problem(f"{service.name}-migrate", str(exc)))
                runnable = [spec for spec in runnable if spec.script != service.script]
        runnable = [self.with_secrets(spec) for spec in runnable]
        self.start(runnable)
        return skipped, failed + self.wait_ready(runnable, timeout)

    def wait_ready(self, processes: Sequence[ProcessSpec], timeout: float) -> list[Problem]:
        """Wait for every process (they started together, so one shared deadline)."""
        deadline = time.monotonic() + timeout
        problems = []
        for spec in processes:

            def alive(name: str = spec.name) -> bool:
                return self.supervisor.is_running(name)

            try:
                if spec.ready_url is not None:
                    wait_http_ok(spec.ready_url, max(deadline - time.monotonic(), 1.0), alive)
                for port in spec.ports:
                    if not wait_for_port(port, max(deadline - time.monotonic(), 1.0), alive):
                        raise StackError(f"port {port} not listening")
            except StackError as exc:
                tail = log_tail(self.supervisor.log_file(spec.name), lines=15)
                problems.append(Problem(spec.name, f"{exc}\n{tail}"))
        return problems

    def stop_all(self) -> None:
        """Services first (all at once), then the simulator, Kafka, PostgreSQL."""
        self.supervisor.stop(*(spec.name for spec in reversed(self.service_processes())))
        self.supervisor.stop(simulator_process().name)
        self.kafka.stop()
        self.postgres.stop()

    def purge(self) -> None:
        """Forget all data: the databases, the topics, the logs."""
        for folder in ("postgres", "kafka", "logs", "pids"):
            shutil.rmtree(self.root / folder, ignore_errors=True)
        (self.root / SERVICE_KEY_FILE).unlink(missing_ok=True)

    def status(self) -> list[ProcessStatus]:
        postgres = process_status("postgres", self.postgres.pid_file, self.infra.pg_port)
        kafka = process_status("kafka", self.kafka.pid_file, self.infra.kafka_port)
        processes = self.supervisor.status({s.name: s.ports[0] for s in self.all_processes()})
        return [postgres, kafka, *processes]

    def log_files(self) -> dict[str, Path]:
        """Every log there is, by the name `herald-stack logs NAME` accepts."""
        logs = {"postgres": self.postgres.log_file, "kafka": self.kafka.log_file}
        if self.supervisor.logs_dir.is_dir():
            logs |= {path.stem: path for path in sorted(self.supervisor.logs_dir.glob("*.log"))}
        return logs
