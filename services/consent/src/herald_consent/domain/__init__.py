"""Pure consent logic: no IO."""
