"""Ingest: scanned paper from an inbox into the right dossier, with its text."""
