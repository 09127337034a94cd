"""Certificates (办证): from delivery to the owner's 不动产权证, on time.

The department registers owners' titles in batches with the registry office
(不动产登记中心): it checks that the project may register at all
(:mod:`.prerequisites`: 预售许可证, 面积实测报告, 数据挂接, 初始登记, 竣工验收备案),
collects and checks each household's materials (:mod:`.readiness`, the list
is data in the rules file: :mod:`.requirements`), submits a list, follows
it up and hands the certificates out (the registration batch, a record of
its own: :class:`docgen.models.Registration`, worked by
:mod:`docgen.services.certificates`), against two clocks (:mod:`.deadlines`:
the developer's 60-day filing duty and the owner's registration deadline).
The submission list for the registry is :mod:`.submission`; the numbers
that name one household or one submission (不动产权证号, 受理编号) are kept
unique by :mod:`.numbers`.

Everything here is pure computation over records (plus reading the
dossiers' documents where a check needs their files or text); the services
do the reading, permission checks and writing.
"""
