"""HTTP routers of the contacts service."""
