"""Data: load a purchase file (detect, override, map, load, report), merge a customer file
into a dataset's customers, and manage datasets."""

import streamlit as st

from retention.i18n import t
from retention.ui import customer_file, data_page, datasets_panel, page

# no empty state: this is where data is loaded
ctx = page.start(t("Data"), None)

st.header(t("Load a file"))
source = data_page.source_picker(ctx)
if source is not None:
    inspection = data_page.inspection_section(source)
    if inspection is not None:
        data_page.load_section(ctx, source, inspection)

st.header(t("Customer file"))
customer_file.customer_file_section(ctx)

st.header(t("Datasets"))
datasets_panel.datasets_section(ctx)
