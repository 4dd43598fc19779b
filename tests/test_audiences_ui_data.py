"""The Audiences page's cached accessors (retention/ui/data/audiences.py) on a hand-made shop:
the same numbers as the domain, settings in the keys, writes read back on the next call."""

from __future__ import annotations

import datetime as dt

import pytest
from audience_helpers import add_orders, make_dataset

from retention.audiences.export import ExportOptions
from retention.audiences.segment import Segment
from retention.ui.context import Context
from retention.ui.data import audiences

D = dt.date(2025, 6, 30)


@pytest.fixture
def ctx(workspace):
    dataset_id = make_dataset(
        workspace,
        [("A", "2025-06-10", 30.0), ("B", "2025-05-01", 40.0), ("C", "2025-04-30", 50.0),
         ("E", "2025-06-09", 20.0)],
        {"A": {"email": "a@example.org", "email_opt_in": True},
         "B": {"email": "b@example.org", "email_opt_in": True},
         "E": {"email": "not-an-address", "email_opt_in": True}})
    return Context(workspace=workspace, dataset=workspace.dataset(dataset_id), as_of=D,
                   window_days=90)


def test_the_builder_counts_and_lists_the_members(ctx):
    nudge = Segment(playbook="second-purchase")
    assert audiences.summary(ctx, nudge).customers == 3
    assert audiences.members(ctx, nudge)["customer_id"].tolist() == ["A", "B", "E"]
    assert audiences.members(ctx, nudge, limit=1)["customer_id"].tolist() == ["A"]
    assert len(audiences.base(ctx)) == 4


def test_saved_playbook_settings_change_the_answer(ctx):
    nudge = Segment(playbook="second-purchase")
    audiences.save_playbook_settings(ctx, audiences.playbook_settings(ctx).__class__(
        nudge_max_days=59))
    fresh = Context(workspace=ctx.workspace, dataset=ctx.dataset, as_of=D, window_days=90)
    assert audiences.members(fresh, nudge)["customer_id"].tolist() == ["A", "E"]


def test_a_campaign_is_listed_recorded_and_read_out(ctx, workspace):
    nudge = Segment(playbook="second-purchase")
    listed = audiences.campaign(ctx, "Nudge", nudge, ExportOptions("email", control_share=0))
    assert (listed.customers, listed.excluded_no_contact, listed.exported) == (3, 1, 2)
    assert audiences.download(listed, "n.csv").startswith(b"\xef\xbb\xbf")
    export_id = audiences.record(ctx, listed, audiences.rules(ctx, nudge), "n.csv")
    assert audiences.exports(ctx)["export_id"].tolist() == [export_id]
    add_orders(workspace, ctx.dataset.dataset_id, [("A", "2025-07-03", 15.0)])
    later = Context(workspace=workspace, dataset=workspace.dataset(ctx.dataset.dataset_id),
                    as_of=dt.date(2025, 7, 3), window_days=90)
    readout = audiences.readout(later, export_id)
    assert readout.treatment.as_json() == {"n": 2, "buyers": 1, "rate": 0.5,
                                           "revenue_per_customer": 7.5}
    assert audiences.readout(later, export_id + 5) == (
        f"There is no export {export_id + 5} of this dataset.")
    # drawn again three days on (the nudge's days are 2025-05-04 … 2025-06-13): A has bought
    # again, B's and C's only orders are now too old, E is in but has no valid address
    relisted, used = audiences.again(later, export_id)
    assert (relisted.customers, relisted.excluded_no_contact, relisted.exported) == (1, 1, 0)
    assert used == audiences.rules(ctx, nudge)
    assert audiences.record(later, relisted, used, "again.csv") == export_id + 1


def test_saved_audiences_are_read_fresh_after_a_save(ctx):
    assert audiences.saved_audiences(ctx) == {}
    audiences.save(ctx, "Mine", Segment(orders_max=1))
    assert audiences.saved_audiences(ctx) == {"Mine": Segment(orders_max=1)}
    assert audiences.forget(ctx, "Mine")
    assert audiences.saved_audiences(ctx) == {}
