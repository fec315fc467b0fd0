"""Errors the local stack reports to a person: their message says what to do next."""


class StackError(RuntimeError):
    """A component could not start, stop or be prepared."""


class PrerequisiteMissing(StackError):
    """A program the stack needs (java, mvn, PostgreSQL) is not installed."""
