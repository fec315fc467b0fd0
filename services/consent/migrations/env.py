from herald_consent.models import metadata
from herald_kit.migrations import run_env

run_env("consent", metadata)
