"""Audiences and campaigns (DESIGN §8): who to write to, the list to send, and what it changed.

The flow, one module per step:

* :mod:`.base` — one row per buyer as of D with every metric a segment can use (ladder step,
  ABC/XYZ cell, portrait, churn scores, recency, frequency, revenue, attributes, contacts);
* :mod:`.segment` — :class:`~.segment.Segment`, the builder's definition, and its members;
  :mod:`.playbook` — the ready-made audiences and their reasons;
* :mod:`.contacts` — consent and usable contacts (emails, phones via ``phonenumbers``);
  :mod:`.control` — the stratified, seeded control group and the detectable difference;
* :mod:`.export` — the campaign list and its CSV / XLSX file;
* :mod:`.saved` — saved audiences and recorded exports in the workspace;
* :mod:`.uplift` — treatment against control after an export;
* :mod:`.campaign` — the steps put together, as the command line and the page run them;
  :mod:`.command` — ``python -m retention audience …``.

Nothing here imports streamlit; the page's cached accessors are in
``retention/ui/data/audiences.py``.
"""
