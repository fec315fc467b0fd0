"""Event handlers of the analytics service and the groups that run them."""
