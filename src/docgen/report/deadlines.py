"""When a household's title registration (办证) is due: the one place the figures ask.

The figures' 办证 section and its 预警 read the due day from here.  Today it is
the contract's ``registration_due_days`` or the rules' 90 days
(``deadlines.certificate_registration_days``) from delivery, exactly what the
audit's ``TIME.CERT_OVERDUE`` uses.  The certificate workflow (issue 16) brings
its own deadline function (registration batches, the developer's 60-day filing
duty); when it lands, :data:`REGISTRATION_DUE` is pointed at it and nothing
else in the figures changes.  A deadline function takes the dossier and the
project's deadlines and returns the due day, or None when nothing is due
(not delivered, or already certified).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from docgen.audit.rules import Deadlines
from docgen.models import Dossier

RegistrationDue = Callable[[Dossier, Deadlines], "dt.date | None"]


def registration_due(d: Dossier, deadlines: Deadlines) -> dt.date | None:
    """The day the household's title registration is due: delivery + the contract's days (else the rules' 90)."""
    if d.delivered_on is None or d.certificate_status == "已办结":
        return None
    days = d.registration_due_days if d.registration_due_days is not None else deadlines.certificate_registration_days
    return d.delivered_on + dt.timedelta(days=days)


REGISTRATION_DUE: RegistrationDue = registration_due
"""The deadline function the figures use (the seam for the certificate workflow's)."""
