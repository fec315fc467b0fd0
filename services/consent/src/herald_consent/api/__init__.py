"""HTTP routers of the consent service."""
