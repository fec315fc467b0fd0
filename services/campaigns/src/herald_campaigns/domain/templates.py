"""Message templates: `{{first_name}}` and `{{last_name}}`, each with an optional fallback
used when the contact has no value: `Bonjour {{first_name|client}} !`.

Pure. A template is parsed once, when the campaign is created: every error names the
variable or the brace at fault and its position (1-based character index), so a marketer
can find it. Rendering a parsed template cannot fail.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

VARIABLES: tuple[str, ...] = ("first_name", "last_name")
OPEN = "{{"
CLOSE = "}}"
FALLBACK_SEPARATOR = "|"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class TemplateError(ValueError):
    """A template that cannot be rendered; `position` is the 1-based index of the culprit."""

    def __init__(self, problem: str, position: int, hint: str = "") -> None:
        self.problem = problem
        self.position = position
        super().__init__(f"{problem} at position {position}" + (f"; {hint}" if hint else ""))


class UnknownVariable(TemplateError):
    def __init__(self, variable: str, position: int) -> None:
        self.variable = variable
        super().__init__(
            f"unknown variable {variable!r}",
            position,
            "known variables: " + ", ".join(VARIABLES),
        )


@dataclass(frozen=True)
class Text:
    value: str


@dataclass(frozen=True)
class Variable:
    name: str
    fallback: str | None = None


Part = Text | Variable


@dataclass(frozen=True)
class Template:
    source: str
    parts: tuple[Part, ...]

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(part.name for part in self.parts if isinstance(part, Variable))

    def render(self, values: Mapping[str, str | None]) -> str:
        """The text for one recipient; a missing or blank value gives the fallback, or ''."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, Text):
                out.append(part.value)
                continue
            value = (values.get(part.name) or "").strip()
            out.append(value or part.fallback or "")
        return "".join(out)


def _variable(inner: str, start: int) -> Variable:
    """`inner` is what lies between `{{` and `}}`; `start` is the 0-based index of `{{`."""
    name_part, separator, fallback = inner.partition(FALLBACK_SEPARATOR)
    name = name_part.strip()
    name_at = start + len(OPEN) + (len(name_part) - len(name_part.lstrip())) + 1
    if not name:
        raise TemplateError("empty variable name in '{{...}}'", start + 1)
    if not _NAME.match(name):
        raise TemplateError(f"invalid variable name {name!r}", name_at)
    if name not in VARIABLES:
        raise UnknownVariable(name, name_at)
    if not separator:
        return Variable(name)
    fallback_at = start + len(OPEN) + len(name_part) + len(separator) + 1
    if "{" in fallback or "}" in fallback:
        brace = min(i for i in (fallback.find("{"), fallback.find("}")) if i >= 0)
        raise TemplateError(
            f"a brace is not allowed in the fallback of {name!r}", fallback_at + brace
        )
    return Variable(name, fallback.strip())


def parse(source: str) -> Template:
    """Parse a template; TemplateError names what is wrong and where."""
    parts: list[Part] = []
    index = 0
    while index < len(source):
        open_at = source.find(OPEN, index)
        close_at = source.find(CLOSE, index)
        if close_at != -1 and (open_at == -1 or close_at < open_at):
            raise TemplateError("'}}' without an opening '{{'", close_at + 1)
        if open_at == -1:
            parts.append(Text(source[index:]))
            break
        if open_at > index:
            parts.append(Text(source[index:open_at]))
        end = source.find(CLOSE, open_at + len(OPEN))
        if end == -1:
            raise TemplateError("'{{' is never closed by '}}'", open_at + 1)
        next_open = source.find(OPEN, open_at + len(OPEN))
        if next_open != -1 and next_open < end:
            raise TemplateError("'{{' is not closed before the next '{{'", open_at + 1)
        parts.append(_variable(source[open_at + len(OPEN) : end], open_at))
        index = end + len(CLOSE)
    return Template(source=source, parts=tuple(parts))
