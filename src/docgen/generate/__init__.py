"""Generate: paperwork rendered from the archive's data with docxtpl, sandboxed and strict."""
