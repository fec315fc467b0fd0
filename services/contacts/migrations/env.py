from herald_contacts.models import metadata
from herald_kit.migrations import run_env

run_env("contacts", metadata)
