"""Plotly figure builders: a tidy DataFrame in, a Figure out — one function per chart.

Every figure has axis titles in words and hover text with units; the caller passes the
currency so money carries it. No streamlit here: pages draw the figures with st.plotly_chart.
"""
