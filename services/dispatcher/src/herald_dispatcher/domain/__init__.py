"""Pure dispatcher logic: no IO."""
