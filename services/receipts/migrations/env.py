from herald_kit.migrations import run_env
from herald_receipts.models import metadata

run_env("receipts", metadata)
