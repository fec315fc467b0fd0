"""Herald consent service: the append-only consent ledger and the current state it yields."""
