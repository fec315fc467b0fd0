"""One pydantic model per event version. Additive changes only within a version."""
