"""The Streamlit layer: the only part of ``retention`` that imports streamlit.

Pages stay thin by calling into these modules: ``context`` (what the sidebar chose), ``frame``
(sign-in, first-run sample, sidebar), ``cached`` (cached accessors keyed by plain values),
``widgets`` (shared widgets such as ``download_buttons``), ``text`` (showing user text safely),
``sample_data`` (the sample shop and its workspace flags), ``queries`` (reads the domain does
not offer yet), ``home_page``, ``data_page`` and ``datasets_panel``.
"""
