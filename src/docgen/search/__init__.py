"""Search: a derived full-text index of the archive, good at Chinese."""
