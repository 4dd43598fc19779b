"""The ABC/XYZ page's ladder steps follow the thresholds saved on the Ladder page (issue 10,
point 26): the same customer stands on the same step on both pages, also after the thresholds
change within one session (the cached cell lists are keyed by them)."""

from __future__ import annotations

import pytest

from retention.ingest import load_file
from tests.test_abc_xyz import XYZ_ROWS

ABC_XYZ_PAGE = "views/abc_xyz.py"
LADDER_PAGE = "views/ladder.py"


@pytest.fixture
def shop(workspace, tmp_path, no_sample):
    """XYZ_ROWS: X05 (AX) ordered in 12 calendar months of 2025, so the default ladder (9 months
    make a loyal customer) calls X05 loyal."""
    path = tmp_path / "shop.csv"
    path.write_text(XYZ_ROWS, encoding="utf-8")
    return load_file(workspace, path, dataset="Shop", currency="USD")


def listed_steps(at) -> dict[str, str]:
    [listed] = [d.value for d in at.dataframe if d.value.columns[0] == "Customer"]
    return dict(zip(listed["Customer"], listed["Ladder step"], strict=True))


def test_a_threshold_saved_on_the_ladder_page_changes_the_cells_steps(app_test, shop):
    at = app_test().run()
    at.switch_page(ABC_XYZ_PAGE).run()
    assert listed_steps(at) == {"X05": "Loyal"}

    # the same session saves "13 months make a loyal customer" on the Ladder page ...
    at.switch_page(LADDER_PAGE).run()
    at.number_input(key=f"ladder_loyal_months_{shop.dataset_id}").set_value(13)
    [apply] = [b for b in at.button if b.label == "Apply and remember for this dataset"]
    apply.click().run()
    assert not at.exception, at.exception
    # ... and the ABC/XYZ list, computed once already, shows X05's step under the new rule
    at.switch_page(ABC_XYZ_PAGE).run()

    assert not at.exception, at.exception
    assert listed_steps(at) == {"X05": "Regular"}


def test_a_new_session_reads_the_saved_thresholds(app_test, workspace, shop):
    workspace.save_settings(shop.dataset_id, "ladder", {"regular_orders": 13})
    at = app_test().run()
    at.switch_page(ABC_XYZ_PAGE).run()

    assert not at.exception, at.exception
    # 12 orders in the year fall short of 13: a repeat client, not a regular
    assert listed_steps(at) == {"X05": "Repeat client"}
