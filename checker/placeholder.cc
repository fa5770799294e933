// Placeholder so the checker library is never empty.
