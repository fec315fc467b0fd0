from herald_campaigns.models import metadata
from herald_kit.migrations import run_env

run_env("campaigns", metadata)
