"""Pure contact logic: no IO."""
