"""Audit: completeness, accuracy, timeliness and fixity of the archive."""
