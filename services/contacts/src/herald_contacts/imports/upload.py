"""Receiving the file: streamed into `import_upload` chunk by chunk, hashed, its type and
encoding checked on the way, so that memory stays flat whatever the file's size."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from herald_contacts.domain.csv_decoding import (
    HEAD_BYTES,
    EncodingDetector,
    UnsupportedFile,
    check_file_type,
)
from herald_contacts.imports import repository
from herald_contacts.imports.errors import FileTooLarge

_TYPE_PROBE = 512  # bytes enough to recognise a document's signature


@dataclass(frozen=True)
class StoredUpload:
    sha256: str
    size: int
    encoding: str  # a Python codec: utf-8-sig, utf-8 or cp1252
    head: bytes  # the first HEAD_BYTES, to read the separator and the header from

    @property
    def complete_head(self) -> bool:
        return self.size <= len(self.head)


async def store_upload(
    session: AsyncSession,
    import_id: uuid.UUID,
    body: AsyncIterator[bytes],
    *,
    chunk_bytes: int,
    max_bytes: int,
) -> StoredUpload:
    """Store the body; UnsupportedFile / UnreadableEncoding / FileTooLarge when it is not a
    CSV text file we can read (the caller's transaction then rolls back what was stored)."""
    digest = hashlib.sha256()
    detector = EncodingDetector()
    head = bytearray()
    buffer = bytearray()
    seq = 0
    typed = False
    async for piece in body:
        if not piece:
            continue
        if len(head) < HEAD_BYTES:
            head += piece[: HEAD_BYTES - len(head)]
        if not typed and len(head) >= _TYPE_PROBE:
            check_file_type(bytes(head))
            typed = True
        digest.update(piece)
        _feed(detector, piece, head)
        if detector.size > max_bytes:
            raise FileTooLarge(f"file: larger than {max_bytes} bytes")
        buffer += piece
        while len(buffer) >= chunk_bytes:
            await repository.add_chunk(session, import_id, seq, bytes(buffer[:chunk_bytes]))
            del buffer[:chunk_bytes]
            seq += 1
    if not typed:
        check_file_type(bytes(head))
    if buffer:
        await repository.add_chunk(session, import_id, seq, bytes(buffer))
    return StoredUpload(digest.hexdigest(), detector.size, detector.encoding(), bytes(head))


def _feed(detector: EncodingDetector, piece: bytes, head: bytearray) -> None:
    try:
        detector.feed(piece)
    except UnsupportedFile:
        check_file_type(bytes(head))  # a known document's name says more than "binary"
        raise
