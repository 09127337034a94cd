"""docgen: records management and document generation for a developer's customer-service department.

The archive (a folder of plain files) is the single source of truth; the search
index, reports and generated paperwork are all derived from it.
"""

from __future__ import annotations

__version__ = "0.1.0"
