"""Herald contacts service: who can be messaged, and what we know about them."""
