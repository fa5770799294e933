// Placeholder so the sim library is never empty.
