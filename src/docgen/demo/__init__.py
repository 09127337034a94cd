"""Demo: a realistic sample archive with fake people, and the end-to-end tour."""
