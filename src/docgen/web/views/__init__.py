"""The views, one module per noun; :func:`register` adds them all to an application.

A view parses the request, calls the core (a service, the archive acting as
the user, the search engine through :meth:`WebState.search`) and renders a
template or returns JSON.  Permissions come from the route declaration
(:func:`docgen.web.routing.route`) and from the core; project scope from
``session.require(permission, project)`` / ``check_key``.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI


def routers() -> list[APIRouter]:
    """Every view module's router, in the order the navigation shows them."""
    from docgen.web.views import (
        admin,
        api,
        audit,
        cases,
        documents,
        dossiers,
        handover,
        help,
        intake,
        login,
        paperwork,
        projects,
        report,
        search,
    )

    return [m.router for m in (login, search, cases, dossiers, documents, projects, handover, paperwork, intake,
                               audit, report, admin, help, api)]


def register(app: FastAPI) -> None:
    """Add every view module's routes to ``app``."""
    app.state.routers = routers()
    for router in app.state.routers:
        app.include_router(router)
