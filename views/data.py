"""Data: load a purchase file (detect, override, map, load, report) and manage datasets."""

import streamlit as st

from retention.i18n import t
from retention.ui import context, data_page, datasets_panel

ctx = context.current()
st.title(t("Data"))

st.header(t("Load a file"))
upload = data_page.upload_widget()
if upload is not None:
    inspection = data_page.inspection_section(upload)
    if inspection is not None:
        data_page.load_section(ctx, upload, inspection)

st.header(t("Datasets"))
datasets_panel.datasets_section(ctx)
