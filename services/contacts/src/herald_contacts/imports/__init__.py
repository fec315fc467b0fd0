"""CSV imports, applied whole or not at all.

The API streams the uploaded file into `import_upload` (1 MiB chunks) while it hashes it,
checks it is CSV text and detects its encoding; it reads the separator and the header from
the first lines and refuses up front what it can (415/422). It then commits a `pending` job.

A background task of `herald-contacts consumer` (runner.py) claims the job with `FOR UPDATE
SKIP LOCKED` and runs pipeline.py in ONE transaction: an UNLOGGED staging table is created,
the chunks are read back as CSV records (reader.py), checked in a process pool
(validation.py, domain/import_rows.py) and COPY'd into the staging table, while another
connection commits progress and heartbeats. Duplicates are then found in SQL and merge.py
applies the staging table to `contact` with the outbox rows (`contact.updated`,
`consent.declared`). A cancel, a crash or a lost lease before the merge commits rolls
everything back, staging table included: nothing is ever half applied.
"""
