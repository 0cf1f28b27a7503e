"""The case kernel: what every case type shares, knowing none of them.

A case is one file the city handles for a resident (a permit application, a complaint): its
reference number (``numbering``, ``opening``), its hash-chained timeline (``timeline``), its SLA
clock (``clock``), who may see and act on it (``access``), the workflow actions (``actions``,
with named guard and effect handlers), the queue (``queue``), its documents (``documents``),
and what its events tell other systems (``publishing``). A case type plugs in through a
``CaseKind`` (``kinds``), registered at start-up by ``app.case_types``.
"""
