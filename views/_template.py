"""TEMPLATE for a new page: copy it to ``views/<family>.py`` and rename ``example``.

It is in no navigation and never runs (``retention.ui.example_page`` does not exist); a test
only checks that it compiles and starts through ``page.start``. A new page touches these files
and no other page's (README, "Adding a page"):

1. ``views/<family>.py``, this file: the order of the page's sections, nothing else.
2. ``retention/ui/<family>_page.py``: the sections. Each takes ``ctx`` (plus the settings the
   panel returned, for its wording) and draws; it holds no SQL, opens no cursor and caches
   nothing: the numbers come from step 3.
3. ``retention/ui/data/<family>.py``: the cached accessors, one public function per number the
   page shows, taking ``ctx`` and plain parameters and calling a private ``st.cache_data``
   function keyed by plain values only, that runs the domain metric on a cursor of its own::

       def points(ctx: Context) -> pd.DataFrame:
           'The loyalty points up to the as-of date, under the saved settings.'
           return _points(*ctx.key, ctx.as_of, as_key(ctx.saved.example))

       @st.cache_data(show_spinner=False, max_entries=128)
       def _points(workspace: str, dataset_id: int, version: int, as_of: dt.date,
                   settings: SettingsKey) -> pd.DataFrame:
           return run(workspace, metrics.points, dataset_id, as_of=as_of,
                      settings=from_key(ExampleSettings, settings))

   An accessor that depends on another family's settings reads them from ``ctx.saved`` too
   (``ctx.saved.ladder`` for anything showing ladder steps), so they are in its key.
4. ``retention/ui/context.py``, only if the page saves settings: one line in
   ``SavedSettings``, ``example = Family(EXAMPLE_NAMESPACE, ExampleSettings.from_dict, "…")``;
   the page module's ``settings_panel`` draws them with ``page.settings_form`` and returns
   ``ctx.saved.example``.
5. ``retention/ui/frame.py``: one ``st.Page("views/<family>.py", ...)`` entry in
   ``navigation_pages``.
6. ``tests/test_app_<family>.py``: AppTest runs of the page, empty workspace included.
"""

from retention.i18n import t
from retention.ui import example_page, page

# The title and the context; without data, the shared empty state ("There is no data yet."
# and this sentence, with a link to the Data page) and a stop, so no section runs without data.
ctx = page.start(t("Example"), t("Once there is, this page shows what the example measures."))
# Saved per dataset (leave out if the page has no settings).
settings = example_page.settings_panel(ctx)
example_page.introduction(ctx, settings)
# Sections in reading order; one that finds nothing to show says so and returns False.
if example_page.headline(ctx, settings):
    example_page.details(ctx)
