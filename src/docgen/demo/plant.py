"""Deliberate gaps and errors in the sample archive, for the audit to find.

Each planted problem is recorded as ``{"kind", "key", "detail", ...}`` in
``DEMO-PLANTED.json`` (and :attr:`DemoSummary.planted`), so a test can check
that the audit finds exactly these.  Kinds:

=================================  ==========================================================
``missing_document``               a stage's required document is absent (``doc_type``)
``unsigned_document``              a document that must be signed is filed unsigned
``bad_id_checksum``                an owner's ID number fails GB 11643 (hand edit of dossier.json)
``duplicate_id_number``            two dossiers' owners share one ID number (different names)
``duplicate_file``                 the same file (sha256) filed in two dossiers
``text_missing_owner``             a document's text names neither the owner nor the unit
``amount_words_mismatch``          大写 amount in a document disagrees with the figures
``overdue_revisit``                no revisit for more than six months
``overdue_repair``                 a repair ticket left open (no response) for weeks
``overdue_complaint``              a complaint left open for weeks
``overdue_certificate``            certificate registration not done 90 days after delivery
``repair_outside_warranty``        a repair accepted as in-warranty after its warranty ended
``superseded_replacement_missing`` a superseded document whose replacement's file is gone
``bad_credit_code``                the developer's 统一社会信用代码 fails GB 32100 (a warning)
``dangling_reference``             a complaint linked to a repair ticket the dossier does not hold
``component_not_in_table``         a repair whose component is not in the warranty table
=================================  ==========================================================

The last two break rules that saving enforces (``docgen.validation``), so
they are written the way an older docgen wrote them: straight into the
dossier's file inside a journaled transaction, without the checks.

Plants are attached to the first *eligible* household of a phase at or after
a seeded position, so any build of 20 or more households carries every kind.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import TYPE_CHECKING, Any

from docgen.demo import content as C
from docgen.demo.people import STAFF
from docgen.demo.world import DAY, DEMO_TODAY, Alloc, DocSpec, Household, PhasePlan, ProjectPlan
from docgen.models import Complaint, Document, Dossier, Owner, Project, RepairTicket

if TYPE_CHECKING:
    from docgen.archive import Archive
    from docgen.demo.build import _Filer

CERT_DOCS = ("cert_application", "power_of_attorney", "deed_tax_receipt", "household_register", "marriage_proof",
             "certificate_receipt", "property_certificate")

# kind -> (project, phase) where it is planted
WHERE: dict[str, tuple[str, str]] = {
    "missing_document:handover_record": ("HXSZ", "一期"),
    "text_missing_owner": ("HXSZ", "一期"),
    "overdue_certificate": ("HXSZ", "一期"),
    "missing_document:id_copy": ("HXSZ", "二期"),
    "unsigned_document": ("HXSZ", "二期"),
    "duplicate_id_number": ("HXSZ", "三期"),
    "bad_id_checksum": ("YHW", "一期"),
    "amount_words_mismatch": ("YHW", "一期"),
    "overdue_revisit": ("YHW", "一期"),
    "repair_outside_warranty": ("YHW", "一期"),
    "overdue_repair": ("YHW", "二期"),
    "overdue_complaint": ("YHW", "二期"),
    "duplicate_file": ("YHW", "二期"),
    "superseded_replacement_missing": ("YHW", "二期"),
    "dangling_reference": ("YHW", "二期"),
    "component_not_in_table": ("HXSZ", "一期"),
}


KIND_LABELS: dict[str, str] = {
    "missing_document": "缺少阶段必备文件",
    "unsigned_document": "应签字的文件未签字",
    "bad_id_checksum": "身份证号码校验位错误",
    "duplicate_id_number": "两户档案身份证号码重复",
    "duplicate_file": "同一文件归入两户档案",
    "text_missing_owner": "文件内容与业主/房号不符",
    "amount_words_mismatch": "大写金额与小写不符",
    "overdue_revisit": "回访逾期",
    "overdue_repair": "报修逾期未处理",
    "overdue_complaint": "投诉逾期未结案",
    "overdue_certificate": "办证逾期",
    "repair_outside_warranty": "超出保修期仍按保修处理",
    "superseded_replacement_missing": "替代文件的文件缺失",
    "bad_credit_code": "统一社会信用代码校验位错误",
    "dangling_reference": "投诉关联了不存在的报修单",
    "component_not_in_table": "报修部位不在保修期表中",
}
"""Chinese label of each planted problem kind (what the CLI shows)."""


class Planter:
    """Decides where each problem goes, applies it while the archive is built, and records it."""

    def __init__(self, seed: int, plans: list[ProjectPlan]) -> None:
        self.rng = random.Random(f"{seed}:plant")
        self.problems: list[dict[str, Any]] = []
        self.extra_documents = 0
        self.taken: set[str] = set()
        self.count: dict[str, int] = {}  # problems planted per household
        self.households: dict[str, Household] = {}
        self.doc_ids: dict[str, dict[str, str]] = {}  # key -> {type: doc id}
        self.kept: dict[str, str] = {}  # purpose -> doc id whose file is kept
        self.state: dict[str, Any] = {}
        self.projects = {pp.spec.code: pp.project for pp in plans}
        # each kind waits from a seeded position in its phase for an eligible household
        self.start: dict[str, str] = {}
        for kind, (code, phase_name) in WHERE.items():
            ph = next(p for pp in plans if pp.spec.code == code for p in pp.phases if p.spec.name == phase_name)
            pos = self.rng.randrange(0, max(1, len(ph.units) // 3))
            self.start[kind] = ph.units[pos]
        self.start["missing_document:handover_record"] = "03-2-1203"

    # -- records -------------------------------------------------------------------------
    def _add(self, kind: str, key: str, **detail: Any) -> None:
        self.problems.append({"kind": kind, "key": key, **detail})

    # -- project level -------------------------------------------------------------------
    def adjust_project(self, project: Project) -> None:
        """Plant a bad credit code on the second project's developer."""
        if project.code != "YHW":
            return
        code = project.developer.credit_code
        wrong = "0" if code[-1] != "0" else "1"
        project.developer.credit_code = code[:-1] + wrong
        self._add("bad_credit_code", project.code, field="developer.credit_code", value=project.developer.credit_code)

    # -- household level -----------------------------------------------------------------
    def _candidate(self, kind: str, pp: ProjectPlan, ph: PhasePlan, h: Household) -> bool:
        code, phase_name = WHERE[kind]
        if pp.spec.code != code or ph.spec.name != phase_name or kind in self.state.get("done", set()):
            return False
        # one problem per household, except in phases too small to hold one each (tiny test builds)
        limit = 1 if len(ph.units) >= 8 else len(WHERE)
        return h.dossier.unit >= self.start[kind] and self.count.get(h.dossier.key, 0) < limit

    def adjust_household(self, pp: ProjectPlan, ph: PhasePlan, h: Household, alloc: Alloc) -> None:
        """Apply the plan-time plants this household is eligible for (normally at most one)."""
        done: set[str] = self.state.setdefault("done", set())
        for kind in WHERE:
            if not self._candidate(kind, pp, ph, h):
                continue
            if self._apply(kind, pp, h, alloc):
                done.add(kind)
                self.taken.add(h.dossier.key)
                self.count[h.dossier.key] = self.count.get(h.dossier.key, 0) + 1
                self.households[h.dossier.key] = h

    def _apply(self, kind: str, pp: ProjectPlan, h: Household, alloc: Alloc) -> bool:
        d = h.dossier
        delivered = d.delivered_on is not None
        ctx = C.Ctx(project=pp.project, dossier=d, phase=h.phase.name, handover_venue=pp.spec.venue)
        if kind == "missing_document:handover_record":
            if not delivered:
                return False
            h.docs = [s for s in h.docs if s.type != "handover_record"]
            self._add("missing_document", d.key, doc_type="handover_record", stage="交房",
                      note="收件箱中有这份交接书的扫描件(按文件名规则命名)")
            self.state["inbox_handover"] = d.key
            return True
        if kind == "missing_document:id_copy":
            if not delivered or len(d.owners) < 2:
                return False
            h.docs = [s for s in h.docs if not (s.type == "id_copy" and s.tag == "owner:1")]
            self._add("missing_document", d.key, doc_type="id_copy", stage="签约", owner=d.owners[1].name,
                      note="共有人身份证复印件缺失;收件箱中有其扫描件")
            self.state["inbox_id_copy"] = d.key
            return True
        if kind == "unsigned_document":
            spec = next((s for s in h.docs if s.type == "handover_record"), None)
            if spec is None:
                return False
            spec.signed = False
            spec.source = "generated"
            spec.note = "交房当天系统打印,签字版尚未扫描归档"
            spec.tag = "unsigned"
            self.state["unsigned_key"] = d.key
            return True  # recorded in filed() once the document has its id
        if kind == "duplicate_id_number":
            first = self.state.get("dup_first")
            if first is None:
                self.state["dup_first"] = (d.key, d.owners[0].id_number, d.owners[0].name)
                self.taken.add(d.key)
                self.count[d.key] = self.count.get(d.key, 0) + 1
                return False
            other_key, number, other_name = first
            if d.owners[0].name == other_name:
                return False
            d.owners[0].id_number = number
            for s in h.docs:
                if s.type == "id_copy" and s.tag == "owner:0":
                    s.pages = C.id_copy(ctx, s.date, 0)
            self._add("duplicate_id_number", d.key, other_key=other_key, id_number_masked=number[:6] + "********" + number[-4:])
            return True
        if kind == "bad_id_checksum":
            if not delivered:
                return False
            self.state["bad_id_key"] = d.key
            return True  # applied by hand_edits() after the build
        if kind == "text_missing_owner":
            spec = next((s for s in h.docs if s.type == "inspection_record"), None)
            if spec is None or d.unit == "03-2-1203":
                return False
            other = d.model_copy(deep=True)
            other.unit = "01-1-0201" if d.unit != "01-1-0201" else "01-1-0202"
            other.owners = [Owner(name="郭晓梅", id_number=d.owners[0].id_number, role="主购人")]
            spec.pages = C.inspection_record(C.Ctx(project=pp.project, dossier=other, phase=h.phase.name), spec.date)
            spec.tag = "text_mismatch"
            self.state["text_key"] = d.key
            return True
        if kind == "amount_words_mismatch":
            spec = next((s for s in h.docs if s.type == "maintenance_fund_receipt"), None)
            if spec is None:
                return False
            area = d.area_measured or d.area_contract
            assert area is not None
            from decimal import Decimal

            from docgen.money import amount_in_words

            right = (area * Decimal("80")).quantize(Decimal("0.01"))
            wrong_words = amount_in_words(right + Decimal(100), prefix=False)
            spec.pages = C.maintenance_fund_receipt(ctx, spec.date, words=wrong_words)
            spec.tag = "amount_mismatch"
            self.state["amount_key"] = (d.key, str(right), wrong_words)
            return True
        if kind == "overdue_revisit":
            if not delivered or not d.revisits:
                return False
            cutoff = DEMO_TODAY - 300 * DAY
            dropped = {v.id for v in d.revisits if v.date > cutoff}
            d.revisits = [v for v in d.revisits if v.date <= cutoff]
            if not d.revisits:
                return False
            h.docs = [s for s in h.docs if not (s.type == "revisit_record" and s.related in dropped)]
            self._add("overdue_revisit", d.key, last_revisit=d.revisits[-1].date.isoformat(), rule="每半年回访一次")
            return True
        if kind == "repair_outside_warranty":
            if d.delivered_on is None:
                return False
            reported = d.delivered_on + 270 * DAY
            r = RepairTicket(
                id=alloc("BX", reported.year), reported_on=reported, reported_by=d.owners[0].name, component="管道堵塞",
                location="厨房", description="厨房下水管道堵塞,排水缓慢", warranty_category="管道堵塞(2个月)",
                in_warranty=True, verified_cause="使用不当,油污堵塞管道", responsibility="施工单位",
                contractor="福州安居水电安装有限公司", status="已关闭", handled_by=STAFF[1], responded_on=reported + DAY,
                completed_on=reported + 2 * DAY, owner_acceptance="合格", accepted_on=reported + 2 * DAY,
                closed_on=reported + 2 * DAY,
            )
            d.repairs.append(r)
            h.docs.append(DocSpec("repair_record", reported + 2 * DAY, C.repair_record(ctx, r), signed=True, related=r.id))
            self._add("repair_outside_warranty", d.key, record=r.id, component="管道堵塞", warranty_days=61,
                      delivered_on=d.delivered_on.isoformat(), reported_on=reported.isoformat())
            return True
        if kind == "overdue_repair":
            if not delivered:
                return False
            reported = DEMO_TODAY - 45 * DAY
            r = RepairTicket(
                id=alloc("BX", reported.year), reported_on=reported, reported_by=d.owners[0].name, channel="电话",
                component="墙面渗漏", location="次卧", description="次卧外墙内侧墙面渗水", warranty_category="墙面渗漏(1年)",
                in_warranty=None, status="已受理", handled_by=STAFF[3],
            )
            d.repairs.append(r)
            self._add("overdue_repair", d.key, record=r.id, reported_on=reported.isoformat(), status="已受理")
            self.state["overdue_repair"] = (d.key, r.id)
            return True
        if kind == "overdue_complaint":
            if not delivered:
                return False
            received = DEMO_TODAY - 40 * DAY
            c = Complaint(
                id=alloc("TS", received.year), received_on=received, channel="400热线", first_responder=STAFF[2],
                category="物业服务", description="地下车库照明长期损坏无人处理", status="处理中",
            )
            d.complaints.append(c)
            h.docs.append(DocSpec("complaint_record", received, C.complaint_record(ctx, c), related=c.id))
            self._add("overdue_complaint", d.key, record=c.id, received_on=received.isoformat(), first_responder=c.first_responder)
            return True
        if kind == "overdue_certificate":
            if d.stage not in ("办证", "保修期") or d.delivered_on is None:
                return False
            d.stage = "交房"
            d.certificate_status = "资料收集中"
            d.certified_on = None
            d.certificate_no = ""
            h.docs = [s for s in h.docs if s.type not in CERT_DOCS]
            due = d.delivered_on + 90 * DAY
            self._add("overdue_certificate", d.key, delivered_on=d.delivered_on.isoformat(),
                      due=due.isoformat(), status="资料收集中")
            return True
        if kind == "duplicate_file":
            spec = next((s for s in h.docs if s.type == "key_receipt"), None)
            if spec is None:
                return False
            spec.tag = "dup_source"
            self.state["dup_source"] = d.key
            return True
        if kind == "superseded_replacement_missing":
            if not any(s.type == "handover_record" for s in h.docs):
                return False
            self.state["supersede_key"] = d.key
            return True
        if kind in ("dangling_reference", "component_not_in_table"):
            if d.delivered_on is None or (DEMO_TODAY - d.delivered_on).days < 30:
                return False
            self.state[kind] = d.key
            return True  # written by legacy_records() after the build: saving would refuse it
        raise AssertionError(kind)

    def wants_coowner(self, pp: ProjectPlan, ph: PhasePlan, unit: str) -> bool | None:
        """True where the next household should have a co-owner (for the missing co-owner ID copy)."""
        kind = "missing_document:id_copy"
        code, phase_name = WHERE[kind]
        if pp.spec.code != code or ph.spec.name != phase_name or kind in self.state.get("done", set()):
            return None
        return True if unit >= self.start[kind] else None

    def wants_file(self, key: str, spec: DocSpec) -> bool:
        """Tell the filer to keep a copy of this document's file (to file it again later)."""
        return spec.tag == "dup_source"

    def filed(self, key: str, spec: DocSpec, doc: Document) -> None:
        """Note the id a planted document received."""
        self.doc_ids.setdefault(key, {})[spec.type] = doc.id
        if spec.tag == "unsigned":
            self._add("unsigned_document", key, doc_id=doc.id, doc_type=spec.type,
                      note="收件箱中有带二维码的签字扫描件")
            self.state["unsigned_doc"] = doc.id
        elif spec.tag == "text_mismatch":
            self._add("text_missing_owner", key, doc_id=doc.id, doc_type=spec.type, text_names="郭晓梅 / 1栋1单元0201")
        elif spec.tag == "amount_mismatch":
            _, right, words = self.state["amount_key"]
            self._add("amount_words_mismatch", key, doc_id=doc.id, doc_type=spec.type, figures=right, words=words)
        elif spec.tag == "dup_source":
            self.kept["dup_source"] = doc.id

    def remember(self, h: Household) -> None:
        """Keep the households the inbox writes paper for."""
        key = h.dossier.key
        if key in (self.state.get("inbox_handover"), self.state.get("inbox_id_copy"), self.state.get("unsigned_key"),
                   (self.state.get("overdue_repair") or ("",))[0]):
            self.households[key] = h

    # -- after the build ------------------------------------------------------------------
    def after_build(self, archive: Archive, filer: _Filer) -> None:
        """Plants that need filed documents: the same file in a second dossier, a superseded document."""
        source_key = self.state.get("dup_source")
        if source_key and "dup_source" in self.kept:
            doc_id = self.kept["dup_source"]
            path = filer.files[doc_id]
            target = next(
                (
                    k
                    for k in archive.dossier_keys("YHW")
                    if k != source_key and k not in self.taken and not archive.dossier(k).notes.startswith("早期档案")
                ),
                None,
            )
            if target:
                owner, original = archive.find_document(doc_id)
                text = archive.document_text(owner, original)
                with archive.edit_dossier(target, "document.add", "归档 钥匙签收表(误归档)") as (dossier, tx):
                    doc = archive.add_document(
                        target, path, doc_type="key_receipt", date=original.date, source="import",
                        original_name=original.original_name, text_pages=text, pages=original.pages, signed=True,
                        tx=tx, owner=dossier, doc_id=tx.next_id("DOC", DEMO_TODAY.year, width=6),
                    )
                    doc.filed_at = dt.datetime(2026, 11, 3, 15, 20, tzinfo=dt.timezone(dt.timedelta(hours=8)))
                self.extra_documents += 1
                self.taken.add(target)
                self._add("duplicate_file", target, doc_id=doc.id, other_key=source_key, other_doc_id=doc_id, sha256=doc.sha256)
                self._add("text_missing_owner", target, doc_id=doc.id, doc_type="key_receipt",
                          note="误归档的文件:文字中是另一户的业主和房号")
        key = self.state.get("supersede_key")
        if key:
            dossier = archive.dossier(key)
            old = next(d for d in dossier.documents if d.type == "handover_record")
            text = archive.document_text(dossier, old)
            src = archive.document_path(dossier, old)
            with archive.edit_dossier(key, "document.add", "归档 房屋交接书(重新扫描)") as (d, tx):
                new = archive.add_document(
                    key, src, doc_type="handover_record", date=old.date, source="scan", original_name="交接书_重扫.pdf",
                    text_pages=text, pages=old.pages, signed=True, supersedes=old.id, tx=tx, owner=d,
                    doc_id=tx.next_id("DOC", DEMO_TODAY.year, width=6), note="原扫描件模糊,重新扫描",
                )
                new.filed_at = dt.datetime(2026, 11, 5, 9, 40, tzinfo=dt.timezone(dt.timedelta(hours=8)))
            self.extra_documents += 1
            self.state["supersede_doc"] = (key, new.id, new.file)
            self._add("superseded_replacement_missing", key, doc_id=old.id, replacement_id=new.id, missing_file=new.file)

        self.legacy_records(archive)

    def legacy_records(self, archive: Archive) -> None:
        """Case records an older docgen accepted and today's rules refuse: journaled, never validated."""
        from docgen.models import RepairTicket

        key = self.state.get("dangling_reference")
        if key:
            received = DEMO_TODAY - 5 * DAY
            missing = f"BX-{received.year - 1}-00999"

            def complaint(data: dict[str, Any], tx: Any) -> dict[str, Any]:
                c = Complaint(
                    id=tx.next_id("TS", received.year), received_on=received, channel="电话", first_responder=STAFF[0],
                    category="工程质量", description="去年报修的卫生间渗漏又出现了,要求按原报修单继续处理",
                    status="处理中", related_repairs=[missing],
                )
                data["complaints"].append(c.model_dump(mode="json"))
                return {"record": c.id, "related_repairs": [missing], "note": "关联的报修单号录错(本户没有这张报修单)"}

            self._legacy(archive, key, "dangling_reference", complaint)
        key = self.state.get("component_not_in_table")
        if key:
            def repair(data: dict[str, Any], tx: Any) -> dict[str, Any]:
                delivered = dt.date.fromisoformat(data["delivered_on"])
                reported = delivered + 20 * DAY
                r = RepairTicket(
                    id=tx.next_id("BX", reported.year), reported_on=reported, reported_by=data["owners"][0]["name"],
                    component="院子围栏", location="入户花园", description="业主自行加装的围栏松动,要求维修",
                    verified_cause="业主自行加装,不属于交付范围", responsibility="业主", status="不予维修",
                    handled_by=STAFF[1], responded_on=reported + DAY, closed_on=reported + DAY,
                )
                data["repairs"].append(r.model_dump(mode="json"))
                return {"record": r.id, "component": "院子围栏", "note": "旧版本录入的自由文字部位,不在保修期表中"}

            self._legacy(archive, key, "component_not_in_table", repair)

    def _legacy(self, archive: Archive, key: str, kind: str, change: Any) -> None:
        rel = f"{archive.layout.dossier_rel(key)}/dossier.json"
        with archive.transaction("dossier.legacy", key, f"示例档案库:旧版本录入的记录({KIND_LABELS[kind]})") as tx:
            data = json.loads(archive.path(rel).read_text("utf-8"))
            detail = change(data, tx)
            tx.put_bytes(rel, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8") + b"\n")
        self.taken.add(key)
        self._add(kind, key, **detail)

    def hand_edits(self, archive: Archive) -> None:
        """Changes made outside docgen, as a person editing files would: no validation, no journal."""
        key = self.state.get("bad_id_key")
        if key:
            path = archive.dossier_file(key)
            data = json.loads(path.read_text("utf-8"))
            number = data["owners"][0]["id_number"]
            wrong = "0" if number[-1] != "0" else "1"
            data["owners"][0]["id_number"] = number[:-1] + wrong
            path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")
            self._add_hand("bad_id_checksum", key, field="owners[0].id_number", note="手工修改 dossier.json,未经校验、未记入日志")
        sup = self.state.get("supersede_doc")
        if sup:
            key, _doc_id, name = sup
            path = archive.path(f"{archive.layout.dossier_rel(key)}/documents/{name}")
            path.unlink()
            txt = path.with_suffix(".txt")
            del txt  # the text sidecar stays: only the file was lost

    def _add_hand(self, kind: str, key: str, **detail: Any) -> None:
        # Hand edits happen after DEMO-PLANTED.json is written, so it lists them in advance (see build).
        if not any(p["kind"] == kind and p["key"] == key for p in self.problems):
            self._add(kind, key, **detail)

    def announce_hand_edits(self) -> None:
        """List the hand edits in the manifest before they are made (the manifest is written first)."""
        key = self.state.get("bad_id_key")
        if key:
            self._add("bad_id_checksum", key, field="owners[0].id_number", note="手工修改 dossier.json,未经校验、未记入日志")


__all__ = ["Dossier", "Planter"]
