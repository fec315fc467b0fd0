"""HTTP routers of the campaigns service."""
