"""Real-browser journeys: Playwright driving Debian's chromium against `streamlit run app.py`."""
