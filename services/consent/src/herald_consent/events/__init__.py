"""Event handlers of the consent service and the groups that run them."""
