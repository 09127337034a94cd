"""The sample archive's registration batch in progress (办证批次): HXSZ 二期, submitted, awaiting certificates.

HXSZ 二期 was handed over in October 2026 (its households are 资料收集中).
By the sample's today (2026-11-16) the department has:

- recorded the projects' 数据挂接 (the registry linked the survey data),
- collected each complete household's 办证 papers (申请书 and 委托书 signed at
  the desk, 契税完税证明, 户口簿, 婚姻状况证明), filed as scans in early November,
- put every household that was then ready into batch ``DJ-2026-00001``
  (二期第一批办证) on 2026-11-06 and submitted it on 2026-11-10,
- taken one household out again on 2026-11-13, its marriage certificate
  returned by the registry.

Everything goes through the real services (:mod:`docgen.services.certificates`)
with the sample's fixed day, so the batch is journaled and consistent with the
dossiers like any other, and the sample stays byte-stable for a seed.
Households with a planted problem and those holding only their key documents
are left out (they are what ``docgen cert readiness`` shows as lacking).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from docgen.demo import content as C
from docgen.demo.people import STAFF
from docgen.demo.world import DocSpec, ProjectPlan

if TYPE_CHECKING:
    from docgen.archive import Archive
    from docgen.demo.build import _Filer

DAY = dt.timedelta(days=1)
PROJECT, PHASE = "HXSZ", "二期"
COLLECTED = dt.date(2026, 11, 3)
CREATED = dt.date(2026, 11, 6)
SUBMITTED = dt.date(2026, 11, 10)
LEFT = dt.date(2026, 11, 13)
RECEIPT = "FZ-BDC-20261110-0031"
REGISTRY = "福州市不动产登记中心"
LEAVE_REASON = "资料退回:婚姻状况证明已过有效期,请业主重新开具后再递交"
CLERK = STAFF[4]  # 吴敏
PAPERS = (("cert_application", C.cert_application, True), ("power_of_attorney", C.power_of_attorney, True),
          ("deed_tax_receipt", C.deed_tax_receipt, False), ("household_register", C.household_register, False),
          ("marriage_proof", C.marriage_proof, False))
DATA_LINKED = {"一期": dt.date(2026, 6, 28), "二期": dt.date(2026, 10, 28)}
MAX_HOUSEHOLDS = 200


def build_registrations(archive: Archive, plans: list[ProjectPlan], filer: _Filer, taken: set[str]) -> int:
    """Record prerequisites, file the papers, make and submit the batch; return how many batches were made."""
    from docgen.config import Config
    from docgen.services import certificates as certs
    from docgen.session import User, Workspace

    pp = next((p for p in plans if p.spec.code == PROJECT), None)
    phase = next((ph for ph in pp.phases if ph.spec.name == PHASE), None) if pp is not None else None
    if pp is None or phase is None:
        return 0
    config = Config.model_validate({"archive": {"path": str(archive.root)}, "source": None})  # no docgen.toml read
    session = Workspace(config, archive=archive).session(User(CLERK, "operator"))
    for name, day in DATA_LINKED.items():
        certs.set_prerequisite(session, PROJECT, "data_linkage", phase=name, status="已办结", started_on=day - 14 * DAY,
                               done_on=day, note="登记中心楼盘表已与面积实测数据挂接")
    candidates = []
    for unit in phase.units:
        key = f"{PROJECT}/{unit}"
        d = archive.dossier(key)
        if key in taken or d.delivered_on is None or d.notes.startswith("早期档案"):
            continue
        candidates.append(key)
        if len(candidates) >= MAX_HOUSEHOLDS:
            break
    if not candidates:
        return 0
    project = archive.project(PROJECT)
    with archive.transaction("demo.certificates", PROJECT, "示例档案库:归档二期办证材料", bulk=True) as tx:
        for n, key in enumerate(candidates):
            d = archive.dossier(key)
            ctx = C.Ctx(project=project, dossier=d, phase=PHASE, handover_venue=pp.spec.venue)
            day = COLLECTED + (n % 3) * DAY
            for doc_type, make, signed in PAPERS:
                filer.file(tx, d, DocSpec(doc_type, day, make(ctx, day), signed=signed))
            archive.save_dossier(d, tx)
    ready = [key.split("/")[1] for key in candidates if certs.household_readiness(session, key).ready]
    if not ready:
        return 0
    made = certs.new_registration(session, PROJECT, units=ready, name="二期第一批办证", registry=REGISTRY, on=CREATED)
    registration_id = made.registration.id
    certs.submit_registration(session, registration_id, receipt_no=RECEIPT, on=SUBMITTED)
    if len(ready) >= 3:
        certs.leave_registration(session, registration_id, ready[-1], reason=LEAVE_REASON, on=LEFT)
    return 1

