"""Event handlers of the contacts service and the groups that run them."""
