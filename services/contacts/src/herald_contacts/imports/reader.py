"""The stored upload read back as CSV records, with flat memory.

The csv module reads synchronously from a text stream, so the records are pulled in a
thread; when the stream runs dry the thread asks the event loop for the next chunk (one
short query per MiB) and waits for it. Backpressure is natural: nothing is read until the
pipeline asks for the next batch.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import uuid
from collections.abc import Callable, Iterator
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_contacts.domain.csv_decoding import Dialect, Record, read_records
from herald_contacts.imports import repository

FETCH_TIMEOUT = 120.0


class ChunkStream(io.RawIOBase):
    """The upload's chunks, in order, as one read-only byte stream."""

    def __init__(self, fetch: Callable[[int], bytes | None]) -> None:
        self._fetch = fetch
        self._chunk = memoryview(b"")
        self._seq = 0
        self._ended = False
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._chunk and not self._ended:
            data = self._fetch(self._seq)
            self._seq += 1
            if data is None:
                self._ended = True
            else:
                self._chunk = memoryview(data)
        size = min(len(buffer), len(self._chunk))
        buffer[:size] = self._chunk[:size]
        self._chunk = self._chunk[size:]
        self.bytes_read += size
        return size


class UploadRecords:
    """`async with UploadRecords(...) as records: batch = await records.take(5000)`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        import_id: uuid.UUID,
        encoding: str,
        dialect: Dialect,
    ) -> None:
        self._sessions = sessions
        self._import_id = import_id
        self._encoding = encoding
        self._dialect = dialect
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stream = ChunkStream(self._fetch)
        self._records: Iterator[Record] | None = None

    @property
    def bytes_read(self) -> int:
        return self._stream.bytes_read

    async def __aenter__(self) -> UploadRecords:
        self._loop = asyncio.get_running_loop()
        text = io.TextIOWrapper(
            io.BufferedReader(self._stream, buffer_size=1 << 16),
            encoding=self._encoding,
            newline="",
        )
        self._records = read_records(text, self._dialect)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        records, self._records = self._records, None
        if records is not None and hasattr(records, "close"):
            await asyncio.to_thread(records.close)

    async def take(self, count: int) -> list[Record]:
        """The next `count` records (fewer at the end, none after it)."""
        if self._records is None:
            raise RuntimeError("UploadRecords is used outside its `async with`")
        records = self._records
        return await asyncio.to_thread(lambda: list(itertools.islice(records, count)))

    def _fetch(self, seq: int) -> bytes | None:
        """Runs in the reading thread: the loop runs the query."""
        assert self._loop is not None
        future = asyncio.run_coroutine_threadsafe(self._read_chunk(seq), self._loop)
        return future.result(timeout=FETCH_TIMEOUT)

    async def _read_chunk(self, seq: int) -> bytes | None:
        async with self._sessions() as session:
            return await repository.read_chunk(session, self._import_id, seq)
