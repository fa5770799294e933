// Placeholder so the scenarios library is never empty.
