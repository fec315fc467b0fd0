"""HTTP routers of the dispatcher service."""
