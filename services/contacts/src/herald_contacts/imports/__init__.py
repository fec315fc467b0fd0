"""CSV imports, applied whole or not at all.

The API streams the uploaded file into `import_upload` (1 MiB chunks) while it hashes it,
checks it is CSV text and detects its encoding; it reads the separator and the header from
the first lines and refuses up front what it can (415/422). It then commits a `pending` job.

A background task of `herald-contacts consumer` (runner.py) claims the job with `FOR UPDATE
SKIP LOCKED` and runs pipeline.py in ONE transaction: the chunks are read back as CSV
records (reader.py), checked in a process pool (validation.py, domain/import_rows.py) and
merged batch by batch (merge.py: COPY into an UNLOGGED staging table, duplicates found in
SQL, upsert into `contact` with the `contact.updated` and `consent.declared` outbox rows),
while another connection commits progress and heartbeats. A cancel, a crash or a lost lease
before the commit rolls everything back, staging tables included: nothing is ever half
applied. The contacts an import touches stay locked until it commits (an API update of one
of them waits), and imports of one workspace run one after the other.
"""
