"""`herald-contacts import FILE`: upload a CSV file to the contacts API and follow the job.

The file is streamed (never read whole), a progress bar follows the upload and then the
job; Ctrl-C cancels the import (nothing of it is applied). Exit codes: 0 done, 1 the job
failed or was cancelled, 2 the API refused the file or the request.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from herald_contacts.imports.schemas import ImportMode

CHUNK = 1 << 20
FINISHED = {"done", "failed", "cancelled"}
console = Console(stderr=True)


def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    api_key: Annotated[str, typer.Option(envvar="HERALD_CONTACTS_API_KEY", help="a key")],
    api_url: Annotated[str, typer.Option(help="the contacts API")] = "http://127.0.0.1:8101",
    mode: Annotated[ImportMode, typer.Option(help="what rows do to existing contacts")] = (
        ImportMode.UPDATE
    ),
    default_region: Annotated[str | None, typer.Option(help="e.g. FR")] = None,
    mobile_only: Annotated[bool, typer.Option("--mobile-only/--any-number")] = True,
    mapping: Annotated[str | None, typer.Option(help='JSON, e.g. {"Tel": "phone"}')] = None,
    country_column: Annotated[str | None, typer.Option(help="column of the rows' country")] = (
        None
    ),
    consent_columns: Annotated[
        str | None, typer.Option(help='JSON, e.g. {"opted_in_at": "Date opt-in"}')
    ] = None,
    errors_to: Annotated[Path | None, typer.Option(help="save the refused rows there")] = None,
    poll_seconds: Annotated[float, typer.Option(min=0.05)] = 0.5,
) -> None:
    """Import contacts from a CSV file (UTF-8 or Windows-1252; `,` `;` or tab separated)."""
    params: dict[str, Any] = {"mode": mode.value, "mobile_only": mobile_only}
    optional = {
        "default_region": default_region,
        "mapping": mapping,
        "country_column": country_column,
        "consent_columns": consent_columns,
    }
    params |= {name: value for name, value in optional.items() if value is not None}
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=api_url, headers=headers, timeout=60.0) as client:
        job = _upload(client, file, params)
        job = _follow(client, job, poll_seconds)
        _report(client, job, api_url, errors_to)
    raise typer.Exit(0 if job["status"] == "done" else 1)


def _upload(client: httpx.Client, file: Path, params: dict[str, Any]) -> dict[str, Any]:
    size = file.stat().st_size
    with _bar(DownloadColumn(), TransferSpeedColumn()) as progress:
        task = progress.add_task("uploading", total=size)

        def chunks() -> Iterator[bytes]:
            with file.open("rb") as source:
                while chunk := source.read(CHUNK):
                    progress.advance(task, len(chunk))
                    yield chunk

        response = client.post(
            "/v1/imports",
            params=params,
            content=chunks(),
            headers={"Content-Type": "text/csv"},
            timeout=None,
        )
    if response.status_code != 202:
        _refused(response)
    job: dict[str, Any] = response.json()
    return job


def _follow(client: httpx.Client, job: dict[str, Any], poll_seconds: float) -> dict[str, Any]:
    url = f"/v1/imports/{job['id']}"
    try:
        with _bar(TextColumn("{task.fields[rows]} rows")) as progress:
            task = progress.add_task("importing", total=100, rows=0)
            while job["status"] not in FINISHED:
                time.sleep(poll_seconds)
                response = client.get(url)
                if response.status_code != 200:
                    _refused(response)
                job = response.json()
                progress.update(task, completed=job["progress_pct"], rows=job["rows_read"])
                progress.update(task, description=job["status"])
    except KeyboardInterrupt:
        console.print("interrupted: cancelling the import (nothing of it will be applied)")
        response = client.post(f"{url}/cancel")
        job = response.json() if response.status_code == 200 else client.get(url).json()
    return job


def _report(
    client: httpx.Client, job: dict[str, Any], api_url: str, errors_to: Path | None
) -> None:
    if job["status"] != "done":
        reason = f": {job['error']}" if job.get("error") else ""
        console.print(f"[red]import {job['status']}{reason}[/red] (nothing was applied)")
        return
    for figure in ("rows_read", "imported", "updated", "unchanged", "rejected"):
        typer.echo(f"{figure}: {job[figure]}")
    typer.echo(f"file_sha256: {job['file_sha256']}")
    if job["rejected"]:
        typer.echo(f"refused rows: {api_url.rstrip('/')}{job['errors_url']}")
        if errors_to is not None:
            with errors_to.open("wb") as out, client.stream("GET", job["errors_url"]) as body:
                for chunk in body.iter_bytes():
                    out.write(chunk)
            typer.echo(f"refused rows saved to {errors_to}")


def _bar(*columns: Any) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        *columns,
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _refused(response: httpx.Response) -> None:
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    console.print(f"[red]{response.status_code}: {detail}[/red]")
    raise typer.Exit(2)
