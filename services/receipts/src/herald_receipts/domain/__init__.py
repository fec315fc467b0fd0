"""Pure receipts logic: no IO."""
