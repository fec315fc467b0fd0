"""`herald-stack`: run the whole platform on this machine without Docker.

herald-stack prerequisites       install PostgreSQL if missing, fetch the Kafka jars
herald-stack up [--only-infra]   PostgreSQL, Kafka, topics, migrations, simulator, services
herald-stack demo                `up`, then a demo campaign through the SMSC simulator
herald-stack status              one row per process
herald-stack logs NAME [-f]      a process's log
herald-stack down [--purge]      stop everything (and forget the data)
"""

from __future__ import annotations

import asyncio
import os
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from herald_stack.client import PlatformError
from herald_stack.demo import describe, run_demo
from herald_stack.errors import StackError
from herald_stack.processes import ProcessStatus, log_tail
from herald_stack.stack import LocalStack, Problem

app = typer.Typer(
    help="Run the whole Herald platform on this machine, without Docker.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()


def _stack() -> LocalStack:
    return LocalStack.from_env(lambda message: console.print(f"[dim]·[/] {message}"))


def _status_table(rows: list[ProcessStatus]) -> Table:
    table = Table("process", "state", "pid", "address", "listening")
    colours = {"running": "green", "dead": "red", "stopped": "dim"}
    for row in rows:
        if row.port is None:
            address = ""
        elif row.name in ("postgres", "kafka", "smsc"):
            address = f"127.0.0.1:{row.port}"
        else:
            address = f"http://127.0.0.1:{row.port}"
        table.add_row(
            row.name,
            f"[{colours[row.state]}]{row.state}[/]",
            str(row.pid or ""),
            address,
            "yes" if row.listening else "no",
        )
    return table


def _report_skipped(skipped: list[Problem]) -> None:
    """One line per reason: a service not written yet skips its api, consumer and relay."""
    names_by_reason: dict[str, list[str]] = {}
    for problem in skipped:
        names_by_reason.setdefault(problem.reason, []).append(problem.name)
    for reason, names in names_by_reason.items():
        console.print(f"[yellow]skipped[/] {', '.join(names)}: {reason}")


@app.command()
def prerequisites() -> None:
    """Install Debian's PostgreSQL when missing (as root) and fetch the Kafka jars once."""
    try:
        _stack().check_prerequisites()
    except StackError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    console.print("prerequisites ready: PostgreSQL server binaries, Kafka jars")


def _start(stack: LocalStack, *, only_infra: bool, timeout: float) -> None:
    try:
        skipped, failed = stack.up(only_infra=only_infra, timeout=timeout)
    except StackError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    _report_skipped(skipped)
    console.print(_status_table([row for row in stack.status() if row.state != "stopped"]))
    for problem in failed:
        console.print(f"[red]failed[/] {problem.name}: {problem.reason}")
    if failed or skipped:
        console.print("see `herald-stack logs NAME`; `herald-stack down` stops everything")
        raise typer.Exit(1)


@app.command()
def demo(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for every /readyz.")] = 180.0,
) -> None:
    """Start the stack if needed, run a demo campaign, print its figures and the API URLs."""
    stack = _stack()
    _start(stack, only_infra=False, timeout=timeout)
    console.print("[bold]running the demo campaign[/]")
    try:
        result = asyncio.run(run_demo(stack.infra.bootstrap, lambda m: console.print(f"· {m}")))
    except PlatformError as exc:
        console.print(f"[red]demo failed:[/] {exc}")
        raise typer.Exit(1) from None
    for line in describe(result):
        console.print(line, highlight=False)
    console.print("the stack keeps running: `make down` (or `herald-stack down`) stops it")


@app.command()
def up(
    only_infra: Annotated[
        bool, typer.Option("--only-infra", help="PostgreSQL, Kafka and the topics only.")
    ] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for every /readyz.")] = 120.0,
) -> None:
    """Start the stack (what already runs is left alone)."""
    _start(_stack(), only_infra=only_infra, timeout=timeout)


@app.command()
def down(
    purge: Annotated[
        bool, typer.Option("--purge", help="Also delete the data, topics and logs.")
    ] = False,
) -> None:
    """Stop every process, services first and PostgreSQL last."""
    stack = _stack()
    try:
        stack.stop_all()
    except StackError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    if purge:
        stack.purge()
    console.print("stopped" + (" and purged" if purge else ""))


@app.command()
def status() -> None:
    """One row per process: running, dead (crashed) or stopped, and whether its port answers."""
    console.print(_status_table(_stack().status()))


@app.command()
def logs(
    name: Annotated[str, typer.Argument(help="postgres, kafka, smsc, contacts-api, ...")],
    lines: Annotated[int, typer.Option("--lines", "-n")] = 50,
    follow: Annotated[bool, typer.Option("--follow", "-f")] = False,
) -> None:
    """Print the end of a process's log."""
    files = _stack().log_files()
    if name not in files:
        console.print(f"[red]no log named {name!r}[/]; known: {', '.join(sorted(files))}")
        raise typer.Exit(1)
    if follow:
        os.execvp("tail", ["tail", "-n", str(lines), "-f", str(files[name])])
    print(log_tail(files[name], lines))


def main() -> None:
    app()
