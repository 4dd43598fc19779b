"""The retention dashboard's frame: `streamlit run app.py`.

Only what every page shares lives here — page setup, the optional sign-in, the workspace, the
first-run sample, the sidebar filters — then ``st.navigation`` runs the chosen page. The sidebar
widgets are drawn here rather than on a page so their values survive page switches.
"""

import streamlit as st

from retention.ui import context, frame, return_link, team

frame.configure_page()
frame.language_picker()

if not frame.signed_in():
    # Only the sign-in form is reachable, under every page's address, with no menu.
    st.navigation(frame.sign_in_navigation_pages(), position="hidden").run()
    st.stop()
with frame.rerun_when_the_dataset_changes():
    frame.draw_before_navigation()
    page = st.navigation(frame.navigation_pages() + frame.team_pages())
    return_link.land_after_sign_in()  # an OpenID Connect sign-in returns to the link's view
    frame.sample_banner(context.current(), link_to_data=page.url_path != "data")
    try:
        page.run()
    finally:  # also after a page's st.stop: the link is of what was drawn
        team.share_this_view()
