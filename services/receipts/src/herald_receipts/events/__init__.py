"""Event handlers of the receipts service and the groups that run them."""
