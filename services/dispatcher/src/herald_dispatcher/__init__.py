"""Herald dispatcher service: the final gate, the message ledger and the SMPP binds."""
