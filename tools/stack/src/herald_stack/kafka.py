"""Apache Kafka for local runs and tests: the broker jars from Maven Central, one KRaft node.

No Docker and no tarball download: Maven fetches `kafka_2.13` (plus slf4j-simple, since the
published POM carries no logging backend) into `.cache/kafka/libs` once; the broker then runs as
`java -cp "libs/*" kafka.Kafka server.properties`.
"""

from __future__ import annotations

import base64
import fcntl
import re
import shutil
import signal
import subprocess
import uuid
from pathlib import Path

from herald_stack.errors import PrerequisiteMissing, StackError
from herald_stack.paths import cache_dir, find_repo_root
from herald_stack.ports import HOST, ensure_ports_free, wait_for_port
from herald_stack.processes import log_tail, pid_alive, read_pid_file, spawn, terminate

JVM_OPTIONS = (
    "-Xms256m",
    "-Xmx512m",
    "-XX:+UseG1GC",
    "-Djava.awt.headless=true",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
)

JAVA_WHY = "the Kafka broker runs on Java 17+"


def kafka_pom() -> Path:
    return find_repo_root() / "tools" / "stack" / "kafka" / "pom.xml"


def kafka_libs_dir() -> Path:
    return cache_dir() / "kafka" / "libs"


def _require(program: str, why: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise PrerequisiteMissing(
            f"`{program}` not found on PATH: {why}. On Debian: apt-get install -y "
            + ("openjdk-17-jre-headless" if program == "java" else "maven")
        )
    return path


def ensure_kafka_jars() -> Path:
    """The folder of broker jars, fetched with Maven when the pom's Kafka version is absent.

    A file lock makes concurrent callers (parallel test sessions) fetch once, in turn.
    """
    _require("java", JAVA_WHY)
    pom = kafka_pom()
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom.read_text())
    if match is None:
        raise StackError(f"{pom} does not declare <kafka.version>")
    libs = kafka_libs_dir()
    jar = libs / f"kafka_2.13-{match.group(1)}.jar"
    if jar.is_file():
        return libs
    mvn = _require("mvn", "Maven fetches the Kafka jars from Maven Central once")
    libs.parent.mkdir(parents=True, exist_ok=True)
    with (libs.parent / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not jar.is_file():
            _fetch_jars(mvn, pom, libs)
    return libs


def _fetch_jars(mvn: str, pom: Path, libs: Path) -> None:
    shutil.rmtree(libs, ignore_errors=True)  # another Kafka version must not share the classpath
    libs.mkdir()
    result = subprocess.run(
        [
            mvn,
            "-B",
            "-q",
            "-f",
            str(pom),
            "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={libs}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        shutil.rmtree(libs, ignore_errors=True)
        raise StackError(f"mvn could not fetch the Kafka jars:\n{result.stdout}{result.stderr}")


def new_cluster_id() -> str:
    """A Kafka Uuid: 16 random bytes, base64url without padding.

    Like Kafka's own Uuid.randomUuid, never one starting with "-": the storage tool's
    argument parser would read it as an option.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


class KafkaBroker:
    """One combined broker+controller on loopback; files under `data_dir`.

    `data_dir` holds server.properties, the log segments (`data/`), the broker's output
    (`kafka.log`) and its pid file, so `stop()` works from another process too.
    """

    def __init__(self, data_dir: Path, port: int, controller_port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.controller_port = controller_port
        self.log_file = data_dir / "kafka.log"
        self.pid_file = data_dir / "kafka.pid"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    def is_running(self) -> bool:
        return pid_alive(read_pid_file(self.pid_file))

    def server_properties(self) -> str:
        broker = f"PLAINTEXT://{HOST}:{self.port}"
        controller = f"CONTROLLER://{HOST}:{self.controller_port}"
        settings = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"{HOST}:{self.controller_port}",
            "listeners": f"{broker},{controller}",
            "advertised.listeners": f"{broker},{controller}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.data_dir / "data"),
            "num.partitions": "3",
            "auto.create.topics.enable": "false",
            # One node: internal topics with replication factor 1, few partitions, no waits.
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "transaction.state.log.num.partitions": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
        }
        return "".join(f"{key}={value}\n" for key, value in settings.items())

    def start(self, timeout: float = 60.0, *, die_with_parent: bool = False) -> None:
        """Start (formatting the storage on first use); wait until the broker port listens.

        `die_with_parent` has the kernel stop the broker if we die first.
        """
        if self.is_running():
            raise StackError(f"Kafka is already running (pid file {self.pid_file})")
        ensure_ports_free({self.port: "kafka", self.controller_port: "kafka controller"})
        classpath = f"{ensure_kafka_jars()}/*"
        java = _require("java", JAVA_WHY)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        properties = self.data_dir / "server.properties"
        properties.write_text(self.server_properties())
        if not (self.data_dir / "data" / "meta.properties").is_file():
            self._format(java, classpath, properties)
        self.log_file.unlink(missing_ok=True)
        self._proc = proc = spawn(
            [java, *JVM_OPTIONS, "-cp", classpath, "kafka.Kafka", str(properties)],
            log_file=self.log_file,
            pid_file=self.pid_file,
            death_signal=signal.SIGTERM if die_with_parent else None,
        )
        if not wait_for_port(self.port, timeout, alive=lambda: proc.poll() is None):
            exited = proc.poll() is not None
            self.stop()
            what = "exited" if exited else f"not listening on {self.bootstrap} in {timeout:.0f} s"
            raise StackError(
                f"Kafka {what}; last lines of {self.log_file}:\n{log_tail(self.log_file)}"
            )

    def _format(self, java: str, classpath: str, properties: Path) -> None:
        """Format the log folder once; later starts keep its topics and cluster id."""
        formatted = subprocess.run(
            [
                java,
                "-cp",
                classpath,
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                new_cluster_id(),
                "-c",
                str(properties),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if formatted.returncode != 0:
            raise StackError(f"Kafka storage format failed:\n{formatted.stdout}{formatted.stderr}")

    def stop(self, grace: float = 20.0) -> None:
        terminate([self.pid_file], grace)
        if self._proc is not None:  # started by this process: record its exit status
            self._proc.poll()
            self._proc = None
