"""The web application (``docgen serve``): pages and a JSON API over the same core services as the CLI.

Importing this package loads no web framework (``docgen.config`` imports
:mod:`.settings`); :func:`docgen.web.app.create_app` builds the FastAPI
application for a :class:`~docgen.session.Workspace`.

- :mod:`.app`: the application factory, error pages, security headers;
- :mod:`.auth`: login sessions, CSRF tokens, the login limiter, who is asking;
- :mod:`.routing`: declaring a route with the permission it needs (the table the tests read);
- :mod:`.views`: one module per noun (search, dossiers, documents, projects, audit, journal, API);
- :mod:`.privacy_bridge`: every reveal and export the web makes goes through here (journaled);
- :mod:`.previews`: page images rendered from archived PDFs and scans, cached;
- :mod:`.server`: running it under uvicorn.
"""
