// Anchor so the test support library is never empty.
