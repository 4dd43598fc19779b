"""Roles a source column can play (DESIGN §3) and the headers that name them automatically.

Headers are matched after normalising (lower case, ё → е, punctuation to spaces), in English and
Russian. An exact synonym wins over a header that merely starts with one; each header serves at
most one role. Anything not matched is left for the user's dropdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retention.i18n import N_, t


@dataclass(frozen=True)
class Role:
    name: str
    label: str
    required: bool
    kind: str  # text, date, number, integer, boolean
    synonyms: tuple[str, ...]
    help: str = ""


ROLES: tuple[Role, ...] = (
    Role("customer_id", N_("Customer id"), True, "text",
         ("customer id", "customer", "customerid", "customer no", "customer number", "client",
          "client id", "clientid", "buyer", "buyer id", "user id", "member id", "card number",
          "loyalty card", "клиент", "id клиента", "код клиента", "покупатель", "код покупателя",
          "контрагент", "номер карты", "карта"),
         N_("Who bought: a customer number, card or account id. Leading zeros are kept.")),
    Role("date", N_("Purchase date"), True, "date",
         ("date", "order date", "invoice date", "invoicedate", "purchase date",
          "transaction date", "sale date", "datetime", "timestamp", "created at", "дата",
          "дата покупки", "дата заказа", "дата чека", "дата продажи", "дата документа"),
         N_("When the purchase happened; a time of day is used when present.")),
    Role("amount", N_("Amount (net line value)"), True, "number",
         ("amount", "total", "sum", "revenue", "sales", "net amount", "line total",
          "net sales", "order total", "total amount", "сумма", "итого", "выручка",
          "сумма продажи", "сумма чека", "стоимость", "сумма покупки"),
         N_("Money for the line after discounts; negative for returns. Can come from "
         "quantity × unit price instead.")),
    Role("order_id", N_("Order / receipt id"), False, "text",
         ("order id", "order", "orderid", "order no", "order number", "invoice", "invoice no",
          "invoiceno", "invoice number", "receipt", "receipt no", "check number",
          "transaction id", "номер заказа", "заказ", "чек", "номер чека", "документ",
          "номер документа"),
         N_("Groups lines into one purchase; without it, one customer's lines at the same "
         "moment form an order.")),
    Role("product", N_("Product"), False, "text",
         ("product", "item", "sku", "description", "stockcode", "stock code", "article",
          "product name", "товар", "номенклатура", "наименование", "артикул", "продукт")),
    Role("category", N_("Category"), False, "text",
         ("category", "product category", "group", "product group", "категория", "группа",
          "группа товаров", "категория товара")),
    Role("quantity", N_("Quantity"), False, "number",
         ("quantity", "qty", "units", "count", "количество", "кол во", "штук", "шт")),
    Role("unit_price", N_("Unit price"), False, "number",
         ("unit price", "unitprice", "price", "price per unit", "цена", "цена за единицу")),
    Role("cost", N_("Cost"), False, "number",
         ("cost", "cogs", "purchase price", "cost price", "себестоимость", "закупочная цена")),
    Role("channel", N_("Channel"), False, "text",
         ("channel", "sales channel", "source", "канал", "канал продаж")),
    Role("store", N_("Store"), False, "text",
         ("store", "shop", "branch", "outlet", "магазин", "точка", "точка продаж", "филиал")),
    Role("first_name", N_("First name"), False, "text",
         ("first name", "firstname", "given name", "forename", "имя")),
    Role("last_name", N_("Last name"), False, "text",
         ("last name", "lastname", "surname", "family name", "фамилия")),
    Role("gender", N_("Gender"), False, "text", ("gender", "sex", "пол")),
    Role("birth_date", N_("Birth date"), False, "date",
         ("birth date", "birthdate", "birthday", "date of birth", "dob", "дата рождения",
          "день рождения")),
    Role("age", N_("Age"), False, "integer", ("age", "возраст")),
    Role("city", N_("City"), False, "text", ("city", "town", "город", "населенный пункт")),
    Role("region", N_("Region / country"), False, "text",
         ("region", "state", "country", "province", "регион", "область", "страна", "край")),
    Role("signup_date", N_("Sign-up date"), False, "date",
         ("signup date", "sign up date", "registration date", "registered", "joined",
          "дата регистрации")),
    Role("email", N_("Email"), False, "text", ("email", "e mail", "mail", "почта",
                                           "электронная почта")),
    Role("phone", N_("Phone"), False, "text", ("phone", "mobile", "telephone", "phone number",
                                           "телефон", "мобильный", "мобильный телефон")),
    Role("email_opt_in", N_("Email opt-in"), False, "boolean",
         ("email opt in", "email consent", "email subscribed", "subscribed",
          "согласие на email", "подписка email", "согласие на рассылку")),
    Role("sms_opt_in", N_("SMS opt-in"), False, "boolean",
         ("sms opt in", "sms consent", "согласие на sms", "согласие на смс")),
    Role("referred_by", N_("Referred by (customer id)"), False, "text",
         ("referred by", "referrer", "referral", "invited by", "referred by customer",
          "пригласил", "реферер", "рекомендатель", "кто пригласил")),
    Role("nps", N_("NPS score (0–10)"), False, "integer",
         ("nps", "nps score", "recommend score", "likelihood to recommend", "оценка nps")),
    Role("share_of_wallet", N_("Share of wallet (0–1)"), False, "number",
         ("share of wallet", "wallet share", "sow", "доля кошелька")),
    Role("attributes", N_("Notes / attributes (text)"), False, "text",
         ("notes", "attributes", "interests", "hobbies", "comment", "comments", "заметки",
          "интересы", "комментарий")),
)
ROLE_BY_NAME = {r.name: r for r in ROLES}


def normalise_header(header: str) -> str:
    text = header.lower().replace("ё", "е").replace("_", " ")
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    text = re.sub(r"[^\w]+", " ", text)
    return " ".join(text.split())


def auto_map(headers: list[str], roles: tuple[Role, ...] = ROLES) -> dict[str, str]:
    """{role: header} for the headers that obviously name one of ``roles`` (a customer file
    passes its own roles, so a header never goes to a purchase role it cannot use)."""
    normalised = [normalise_header(_split_camel(h)) for h in headers]
    candidates: list[tuple[int, int, int, str, str]] = []
    for role_rank, role in enumerate(roles):
        synonyms = [normalise_header(s) for s in role.synonyms]
        for col, norm in enumerate(normalised):
            if not norm:
                continue
            squashed = norm.replace(" ", "")
            if norm in synonyms or squashed in (s.replace(" ", "") for s in synonyms):
                score = 3
            elif any(norm.startswith(s + " ") for s in synonyms):
                score = 2
            else:
                continue
            candidates.append((-score, role_rank, col, role.name, headers[col]))
    mapping: dict[str, str] = {}
    used: set[int] = set()
    for _, _, col, role_name, header in sorted(candidates):
        if role_name in mapping or col in used:
            continue
        mapping[role_name] = header
        used.add(col)
    return mapping


def _split_camel(header: str) -> str:
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", header)


def missing_required(mapping: dict[str, str]) -> list[str]:
    """Roles the load cannot do without, given the mapping (amount may be derived)."""
    missing = [r for r in ("customer_id", "date") if not mapping.get(r)]
    if not mapping.get("amount") and not (mapping.get("quantity") and mapping.get("unit_price")):
        missing.append("amount")
    return missing


def describe_missing(missing: list[str], headers: list[str]) -> str:
    labels = ", ".join(t(ROLE_BY_NAME[m].label) for m in missing)
    return t(
        "No column could be used as {labels}. The file's columns are: {headers}. Map them under "
        "'Columns' (or with --map ROLE=HEADER on the command line); an amount can also come "
        "from quantity × unit price.",
        labels=labels, headers=", ".join(repr(h) for h in headers) or t("none"),
    )
