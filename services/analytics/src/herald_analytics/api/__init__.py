"""HTTP routers of the analytics service."""
