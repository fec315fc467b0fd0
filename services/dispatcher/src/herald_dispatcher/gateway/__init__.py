"""Gateway protocol clients (SMPP 3.4)."""
