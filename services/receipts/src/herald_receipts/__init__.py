"""Herald receipts service: delivery receipts correlated to messages, and handsets' replies."""
