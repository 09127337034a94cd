"""The department's workflows as core services: what the CLI and the web application call.

Each service takes a :class:`~docgen.session.Session` first, checks the
user's permission and project scope there, does its read-modify-write inside
**one** archive transaction (so two users never overwrite each other's
change), and returns the record it wrote or raises a ``DocgenError`` with a
Chinese message.  The rules a record must satisfy are enforced by the storage
layer (``docgen.validation`` via :class:`~docgen.archive.Archive`), so a
service cannot forget them.

- :mod:`.cases`: repairs, complaints, revisits, settlements and their approval chain;
- :mod:`.dossiers`: dossiers, batches and the units of a batch;
- :mod:`.audit`: running the audit (rules, filters, threshold, report writer, summary);
- :mod:`.workspace`: creating a new working folder (``docgen init``).
"""
