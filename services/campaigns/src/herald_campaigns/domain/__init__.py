"""Pure campaign logic: no IO."""
