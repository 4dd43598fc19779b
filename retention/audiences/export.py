"""A campaign list: an audience's members, filtered by consent and contact, split into control
and treatment, written as a file that Mailchimp, Klaviyo and SendGrid import without editing.

The file's columns (:data:`FILE_COLUMNS`): ``email``, ``phone`` (E.164 with ``+``; digits only
with the ``digits`` phone format, for SMS gateways that want them), ``first_name``,
``last_name``, ``tags`` (the audience and the group, comma-separated, as Mailchimp's tag column
takes them: filter the control group out with its tag), then ``segment`` (the audience's name),
``reason`` (why the customer is on the list), ``group`` (control | treatment) and
``customer_id`` (to match the list with the shop's own records). For an email list the phone is
filled in when it is valid, and the other way round; the channel's own contact is required.

Cells leave as :mod:`retention.export` writes every download: CSV in UTF-8 with a byte-order
mark and CRLF line ends, XLSX without formulas or links, and every text cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` — except the phone
column, whose cells are validated E.164 numbers (or their digits) that import tools need as
they are. In XLSX the phones are text cells, never numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from retention.audiences.contacts import (
    CONSENT_COLUMN,
    CONTACT_COLUMN,
    Channel,
    PhoneFormat,
    check_channel,
    check_phone_format,
    check_region,
    contacts,
    formatted_phone,
)
from retention.audiences.control import (
    DEFAULT_CONTROL_SHARE,
    assign_groups,
    check_share,
    detectable_difference,
)
from retention.export import to_csv_bytes, to_xlsx_bytes

FILE_COLUMNS = ("email", "phone", "first_name", "last_name", "tags", "segment", "reason",
                "group", "customer_id")
# The uplift window after an export, in days, and the window the detectable difference's baseline
# rate is measured over: the same, so the list's power is judged for the readout it will get.
DEFAULT_WINDOW_DAYS = 30


@dataclass(frozen=True)
class ExportOptions:
    """How an audience becomes a list: the channel (its consent and contact), the control share
    and seed, how phones are written and which country local phone numbers belong to."""

    channel: Channel
    control_share: float = DEFAULT_CONTROL_SHARE
    seed: int = 0
    phone_format: PhoneFormat = "e164"
    default_region: str | None = None

    def __post_init__(self) -> None:
        check_channel(self.channel)
        check_share(self.control_share)
        check_phone_format(self.phone_format)
        object.__setattr__(self, "default_region", check_region(self.default_region))

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ExportOptions:
        return cls(**{key: values[key] for key in cls.__dataclass_fields__ if key in values})


@dataclass(frozen=True)
class CampaignList:
    """A list ready to write: ``rows`` has :data:`FILE_COLUMNS` (and ``step``), one row per
    exported customer in customer-id order.

    customers: the audience's members before consent; excluded_no_consent: members without the
    channel's opt-in; excluded_no_contact: members with consent but no usable contact;
    control / treatment: the exported rows per group; detectable_difference: the smallest rise
    in the share of buyers the split detects (None when a group is empty); baseline_rate: the
    rate it was measured from.
    """

    audience: str
    as_of: dt.date
    options: ExportOptions
    rows: pd.DataFrame
    customers: int
    excluded_no_consent: int
    excluded_no_contact: int
    control: int
    treatment: int
    detectable_difference: float | None
    baseline_rate: float

    @property
    def exported(self) -> int:
        return len(self.rows)

    def counts(self) -> dict[str, int]:
        """The numbers the command line prints about the list."""
        return {"customers": self.customers, "exported": self.exported,
                "excluded_no_consent": self.excluded_no_consent,
                "excluded_no_contact": self.excluded_no_contact,
                "control": self.control, "treatment": self.treatment}


def campaign_list(members: pd.DataFrame, audience: str, options: ExportOptions, *,
                  as_of: dt.date, baseline_rate: float | None = None) -> CampaignList:
    """The list of ``members`` (:func:`retention.audiences.segment.segment_members`' rows)
    for ``options.channel``: consent first, then a usable contact, then the control group drawn
    among those left (per ladder step). ``baseline_rate``: the share of buyers the detectable
    difference starts from (:func:`retention.audiences.control.baseline_rate`; None: 0)."""
    consent = members[CONSENT_COLUMN[options.channel]].astype("boolean").fillna(False)
    consenting = members[consent.to_numpy(dtype=bool)]

    def checked(rows: pd.DataFrame, channel: Channel) -> pd.Series:
        found = contacts(rows[CONTACT_COLUMN[channel]], channel, options.default_region)
        return pd.Series(found, index=rows.index, dtype=object)

    # the channel's own contact decides; the other one is checked only for who stays (parsing
    # a phone is the slowest step of a list)
    own = checked(consenting, options.channel)
    reachable = consenting[own.notna().to_numpy()]
    other = checked(reachable, "sms" if options.channel == "email" else "email")
    emails, phones = (own, other) if options.channel == "email" else (other, own)
    groups = assign_groups(reachable[["customer_id", "step"]], options.control_share,
                           options.seed)
    rows = pd.DataFrame({
        "email": emails.loc[reachable.index],
        "phone": phones.loc[reachable.index].map(
            lambda n: None if n is None else formatted_phone(n, options.phone_format)),
        "first_name": reachable["first_name"], "last_name": reachable["last_name"],
        "tags": audience.replace(",", " ") + "," + groups,
        "segment": audience, "reason": reachable["reason"], "group": groups,
        "customer_id": reachable["customer_id"], "step": reachable["step"],
    }, index=reachable.index).astype(object)
    rows = rows.where(rows.notna(), None).reset_index(drop=True)
    control = int((groups == "control").sum())
    treatment = len(rows) - control
    base = 0.0 if baseline_rate is None else baseline_rate
    return CampaignList(
        audience=audience, as_of=as_of, options=options, rows=rows,
        customers=len(members), excluded_no_consent=len(members) - len(consenting),
        excluded_no_contact=len(consenting) - len(reachable), control=control,
        treatment=treatment,
        detectable_difference=detectable_difference(treatment, control, base),
        baseline_rate=base)


def file_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """The list's rows as the file holds them: :data:`FILE_COLUMNS`, in order."""
    return rows[list(FILE_COLUMNS)]


def campaign_csv(rows: pd.DataFrame) -> bytes:
    """The list as CSV (UTF-8 with BOM, CRLF), text neutralised except the validated phones."""
    return to_csv_bytes(file_frame(rows), verbatim=("phone",))


def campaign_xlsx(rows: pd.DataFrame, sheet_name: str = "audience") -> bytes:
    """The list as an XLSX workbook, text neutralised except the validated phones, which are
    text cells."""
    return to_xlsx_bytes(file_frame(rows), sheet_name=sheet_name, verbatim=("phone",))


def campaign_file(rows: pd.DataFrame, file_name: str) -> bytes:
    """The list in the format the file's name asks for: XLSX for ``.xlsx``, else CSV."""
    if file_name.lower().endswith(".xlsx"):
        return campaign_xlsx(rows)
    return campaign_csv(rows)
