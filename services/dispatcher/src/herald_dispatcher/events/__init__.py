"""Event handlers of the dispatcher service and the groups that run them."""
