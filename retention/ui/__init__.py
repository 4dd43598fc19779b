"""The Streamlit layer: the only part of ``retention`` that imports streamlit.

``frame`` draws what surrounds every page (sign-in, first-run sample, sidebar, navigation);
``context`` hands a page what the sidebar chose and the dataset's saved settings; ``page`` gives
every page the same start (title, context or the one empty state) and the same settings form;
``data`` holds every cached accessor, one module per family; each page's sections live in
``<family>_page`` (the Data page's also in ``datasets_panel``) and its script in ``views/``.
``widgets`` (tables, downloads, money cards), ``text`` (showing user text safely) and
``sample_data`` (the sample shop and its workspace flags) are shared by all of them.
"""
