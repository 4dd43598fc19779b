"""The ABC/XYZ page in AppTest: the sample shop, an empty workspace, and widgets that change it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from retention.ingest import load_file
from tests.test_abc_xyz import PRODUCT_ROWS, XYZ_ROWS

PAGE = "views/abc_xyz.py"


def open_page(app_test):
    at = app_test().run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def heatmap_texts(at, index: int = 0) -> list[list[str]]:
    """The annotations of the page's ``index``-th heatmap, row A first."""
    figures = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    heatmaps = [f for f in figures if f["data"][0]["type"] == "heatmap"]
    return heatmaps[index]["data"][0]["text"]


def table(at, first_column: str):
    """The page's table whose first column is ``first_column`` (e.g. "Customer")."""
    [found] = [d.value for d in at.dataframe if d.value.columns[0] == first_column]
    return found


def submit_settings(at):
    [submit] = [b for b in at.button if b.label == "Apply and remember for this dataset"]
    return submit.click().run()


@pytest.fixture
def shop(workspace, tmp_path, no_sample):
    """XYZ_ROWS (test_abc_xyz): as of 2025-12-31, X05 is AX, Y10 AY, Z2 BZ; no products."""
    path = tmp_path / "shop.csv"
    path.write_text(XYZ_ROWS, encoding="utf-8")
    return load_file(workspace, path, dataset="Shop", currency="USD")


def figure_types(at) -> list[str]:
    return [json.loads(e.proto.spec)["data"][0]["type"] for e in at.get("plotly_chart")]


def open_tab(at, label: str):
    at.session_state["abc_xyz_tab"] = label
    at.run()
    assert not at.exception, at.exception
    return at


def test_renders_on_the_sample_shop(app_test, with_sample):
    at = open_page(app_test)

    # only the open tab runs: the customers' matrix with its cell picker and list
    assert figure_types(at) == ["heatmap"]
    assert all(len(row) == 3 for row in heatmap_texts(at))
    assert at.get("button_group"), "the cell picker"
    assert len(table(at, "Customer")) > 0
    assert table(at, "Cell")["Cell"].tolist() == ["AX", "AY", "AZ", "BX", "BY", "BZ", "CX", "CY",
                                                  "CZ"]
    assert figure_types(open_tab(at, "Why these cut-offs")) == ["bar", "bar"]
    assert figure_types(open_tab(at, "Trend")) == ["bar"]
    products = open_tab(at, "Products")
    assert figure_types(products) == ["heatmap"]
    assert len(table(products, "Product")) > 0
    assert not at.error


def test_empty_workspace_says_what_to_do(app_test, workspace, no_sample):
    at = open_page(app_test)

    assert "There is no data yet" in at.info[0].value
    assert not at.get("plotly_chart")


def test_the_matrix_and_the_cells_customers(app_test, shop):
    at = open_page(app_test)

    texts = heatmap_texts(at)
    assert [row[0] for row in texts] == ["<b>AX</b><br>1", "<b>BX</b><br>0", "<b>CX</b><br>0"]
    assert table(at, "Customer")["Customer"].tolist() == ["X05"]
    assert table(at, "Customer")["Ladder step"].tolist() == ["Loyal"]
    cells = table(at, "Cell").set_index("Cell")
    # AX: X05's 1,800 over 12 orders; shares as the percentages the page shows
    assert cells.loc["AX"].tolist() == [1, 33.3, 1800.0, 66.7, 150.0, 12.0]
    assert "keep them at all costs" in at.info[0].value
    # no product column: unknown, with the column that would fix it
    open_tab(at, "Products")
    assert "no product column" in at.info[0].value and "“product”" in at.info[0].value


def test_picking_a_cell_lists_its_customers_and_action(app_test, shop):
    at = open_page(app_test)

    at.get("button_group")[0].set_value("BZ").run()

    assert table(at, "Customer")["Customer"].tolist() == ["Z2"]
    assert table(at, "Customer")["Orders in the 12 months"].tolist() == [2]
    assert any("win-back" in info.value for info in at.info)


def test_the_value_picker_changes_the_cells(app_test, shop):
    at = open_page(app_test)

    at.selectbox(key="abc_xyz_value_customer").set_value("revenue").run()

    assert heatmap_texts(at)[0] == [
        "<b>AX</b><br>$1,800.00", "<b>AY</b><br>$600.00", "<b>AZ</b><br>$0.00"]


def test_cut_offs_apply_and_are_remembered_for_the_dataset(app_test, workspace, shop):
    at = open_page(app_test)
    key = f"abc_xyz_x_cv_{shop.dataset_id}"

    at.number_input(key=key).set_value(0.4)
    submit_settings(at)

    # X05's CV of 0.5 is above 0.4 now: AX empties, AY holds X05 and Y10
    assert [row[0] for row in heatmap_texts(at)][0] == "<b>AX</b><br>0"
    assert heatmap_texts(at)[0][1] == "<b>AY</b><br>2"
    assert workspace.settings(shop.dataset_id, "abc_xyz")["x_cv"] == 0.4
    again = open_page(app_test)  # a new session starts from the saved cut-offs
    assert again.number_input(key=key).value == 0.4
    assert heatmap_texts(again)[0][1] == "<b>AY</b><br>2"


def test_settings_that_do_not_fit_are_explained_not_applied(app_test, workspace, shop):
    at = open_page(app_test)

    at.number_input(key=f"abc_xyz_x_cv_{shop.dataset_id}").set_value(2.0)  # above Y's 1.0
    submit_settings(at)

    assert "not applied" in at.error[0].value
    assert workspace.settings(shop.dataset_id, "abc_xyz") == {}
    assert heatmap_texts(at)[0][0] == "<b>AX</b><br>1"


def test_the_time_bucket_is_a_setting(app_test, workspace, shop):
    at = open_page(app_test)

    at.radio(key=f"abc_xyz_bucket_{shop.dataset_id}").set_value("quarter")
    submit_settings(at)

    assert workspace.settings(shop.dataset_id, "abc_xyz")["bucket"] == "quarter"
    assert "every quarter" in at.caption[0].value


def test_products_get_their_own_matrix(app_test, workspace, tmp_path, no_sample):
    path = tmp_path / "products.csv"
    path.write_text(PRODUCT_ROWS, encoding="utf-8")
    load_file(workspace, path, dataset="Products", currency="USD")

    at = open_page(app_test)
    # the last sale is on Dec 15, so December is incomplete until the as-of date reaches Dec 31
    at.sidebar.date_input(key="as_of").set_value(dt.date(2025, 12, 31))
    open_tab(at, "Products")

    products = table(at, "Product")
    assert products["Product"].tolist() == ["P1", "P2", "P3"]
    assert products["Cell"].tolist() == ["AX", "AY", "BZ"]
    assert heatmap_texts(at)[0][:2] == ["<b>AX</b><br>1", "<b>AY</b><br>1"]
    at.selectbox(key="abc_xyz_value_product").set_value("avg_check").run()
    assert heatmap_texts(at)[0][0] == "<b>AX</b><br>$100.00"  # 1,200 over 12 orders


def test_the_cut_offs_tab_draws_the_lines_where_the_settings_are(app_test, workspace, shop):
    workspace.save_settings(shop.dataset_id, "abc_xyz", {"a_share": 0.7, "x_cv": 0.3})
    at = open_tab(open_page(app_test), "Why these cut-offs")

    figures = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    lines = [[shape["x0"] for shape in f["layout"]["shapes"]] for f in figures]
    assert lines == [[0.7, 0.95], [0.3, 1.0]]  # revenue share, then CV
