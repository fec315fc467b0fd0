"""Herald analytics service: read models built from the streams, and campaign figures."""
