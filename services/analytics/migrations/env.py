from herald_analytics.models import metadata
from herald_kit.migrations import run_env

run_env("analytics", metadata)
