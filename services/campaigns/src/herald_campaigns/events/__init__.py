"""Event handlers of the campaigns service and the groups that run them."""
