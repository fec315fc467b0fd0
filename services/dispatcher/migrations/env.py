from herald_dispatcher.models import metadata
from herald_kit.migrations import run_env

run_env("dispatcher", metadata)
