"""Pure analytics logic: no IO."""
