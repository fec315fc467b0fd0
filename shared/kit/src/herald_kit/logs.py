"""structlog JSON logs with privacy built in: phone numbers masked, message bodies dropped."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# Keys whose values are message bodies or other content that must never reach a log.
REDACTED_KEYS = frozenset({"text", "body", "message_text", "short_message", "content", "secret"})
# A phone number standing alone: 9 to 15 digits, optional + and single separators. The
# look-arounds keep timestamps, UUIDs, addresses and offsets intact.
_PHONE = re.compile(r"(?<![\w:.\-/])\+?\d(?:[ .\-]?\d){8,14}(?![\w:.\-/])")
# Keys whose values are never personal data and must stay readable.
VERBATIM_KEYS = frozenset({"timestamp", "level", "logger", "service"})


def mask_phone(value: str) -> str:
    """Keep the country prefix and the last three digits: +3361*****678."""
    digits = re.sub(r"\D", "", value)
    if len(digits) < 6:
        return "*" * len(digits)
    plus = "+" if value.strip().startswith("+") else ""
    return f"{plus}{digits[:4]}{'*' * (len(digits) - 7)}{digits[-3:]}"


def scrub_text(value: str) -> str:
    return _PHONE.sub(lambda match: mask_phone(match.group(0)), value)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: ("[redacted]" if k in REDACTED_KEYS else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def privacy_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: redact bodies, mask every phone-number-looking string."""
    for key in list(event_dict):
        if key in REDACTED_KEYS:
            event_dict[key] = "[redacted]"
        elif key not in VERBATIM_KEYS:
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


def configure_logging(service: str, level: str = "INFO", json: bool = True) -> None:
    """Route stdlib and structlog output through the same privacy-aware JSON renderer."""
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        privacy_processor,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        foreign_pre_chain=shared,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiokafka", "kafka", "uvicorn.access", "sqlalchemy.engine", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
