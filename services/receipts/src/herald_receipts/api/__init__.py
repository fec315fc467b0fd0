"""HTTP routers of the receipts service."""
