"""Segments on the real database: what PostgreSQL counts, previews and streams is what a
plain Python reading of the filter language selects, on a seeded, varied set of contacts."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_contacts.models import Contact
from herald_testing.api import KeyFactory, bearer

WORKSPACE = "ws-seg-seeded"
OTHER_WORKSPACE = "ws-seg-other"
SEEDED = 400
ATTRIBUTES = {"points": "number", "tier": "string", "vip": "boolean", "renewal": "date"}


# --- the seeded set ---------------------------------------------------------------------------


def _days_ago(rng: random.Random, now: datetime, most: int) -> datetime:
    """Half a day off any whole-day boundary, so that `now` moving by a few seconds between
    the seeding, the request and this module's reading cannot flip a recency condition."""
    return now - timedelta(days=rng.randint(0, most), hours=12)


def _seed_contact(rng: random.Random, workspace: str, n: int, now: datetime) -> Contact:
    orders = rng.choice([0, 0, 0, 1, 2, 5, 10])
    attributes: dict[str, Any] = {}
    if rng.random() < 0.8:
        attributes["points"] = rng.choice([0, 10, 250, 499.5, 500, 501, 1200])
    if rng.random() < 0.7:
        attributes["tier"] = rng.choice(["gold", "silver", "bronze", "Gold"])
    if rng.random() < 0.6:
        attributes["vip"] = rng.choice([True, False])
    if rng.random() < 0.5:
        attributes["renewal"] = (
            date(2026, 11, 24) + timedelta(days=rng.randint(-200, 200))
        ).isoformat()
    reachable = rng.random() < 0.9
    return Contact(
        id=uuid.uuid4(),
        workspace_id=workspace,
        phone=f"+3361{n:07d}",
        country=rng.choice(["FR", "FR", "FR", "BE", "CH", "RE", None]),
        timezone=rng.choice(["Europe/Paris", "Europe/Brussels", "Indian/Reunion", None]),
        timezone_source="phone_prefix",
        timezone_ambiguous=False,
        locale=rng.choice(["fr", "fr-BE", "en"]),
        lifecycle=rng.choice(["prospect", "customer", "member"]),
        first_name=rng.choice(["Elodie", "Jean", "jeanne", "Marc", "", None]),
        last_name=rng.choice(["Martin", "Durand", "Le_Gall", "100% Bio", None]),
        email=rng.choice(["jean@gmail.com", "marc@Example.FR", "x_y@example.fr", None]),
        attributes=attributes,
        tags=sorted(rng.sample(["vip", "newsletter", "blocked", "new"], rng.randint(0, 3))),
        lists=sorted(rng.sample(["black-friday", "summer", "loyal"], rng.randint(0, 2))),
        orders_count=orders,
        total_spent=Decimal(rng.randint(100, 200_000)) / 100 if orders else Decimal(0),
        last_order_at=_days_ago(rng, now, 400) if orders else None,
        last_click_at=_days_ago(rng, now, 120) if rng.random() < 0.6 else None,
        last_reply_at=_days_ago(rng, now, 120) if rng.random() < 0.3 else None,
        reachable=reachable,
        unreachable_reason=None if reachable else "sms.failed 0x0000000B: seeded",
        unreachable_at=None if reachable else now,
        created_at=_days_ago(rng, now, 400),
        updated_at=now,
    )


async def _declare_attributes(client: httpx.AsyncClient, key: str) -> None:
    for name, kind in ATTRIBUTES.items():
        response = await client.put(
            f"/v1/attributes/{name}", headers=bearer(key), json={"type": kind}
        )
        assert response.status_code in (200, 201), response.text


async def seeded(
    workspace: str, sessions: async_sessionmaker[AsyncSession], seed: int
) -> list[Contact]:
    """The workspace's contacts, seeded on first use in this test session."""
    async with sessions() as session, session.begin():
        rows = (
            await session.scalars(sa.select(Contact).where(Contact.workspace_id == workspace))
        ).all()
        if not rows:
            rng, now = random.Random(seed), datetime.now(UTC)
            rows = [_seed_contact(rng, workspace, seed * 10_000 + n, now) for n in range(SEEDED)]
            session.add_all(rows)
    return list(rows)


# --- the filter language, read in plain Python ---------------------------------------------------


def _day_start(bound: date) -> datetime:
    if isinstance(bound, datetime):
        return bound
    return datetime(bound.year, bound.month, bound.day, tzinfo=UTC)


def _day_end(bound: date) -> datetime:
    return bound if isinstance(bound, datetime) else _day_start(bound) + timedelta(days=1)


def _bound(raw: str) -> date:
    return date.fromisoformat(raw) if len(raw) == 10 else datetime.fromisoformat(raw)


def _attribute(contact: Contact, name: str) -> Any:
    value = contact.attributes.get(name)
    kind = ATTRIBUTES[name]
    if kind == "number":
        return (
            Decimal(str(value))
            if isinstance(value, int | float) and not isinstance(value, bool)
            else None
        )
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    return value if isinstance(value, str) else None


def matches(node: dict[str, Any], contact: Contact, now: datetime) -> bool:
    if "all" in node:
        return all(matches(child, contact, now) for child in node["all"])
    if "any" in node:
        return any(matches(child, contact, now) for child in node["any"])
    if "not" in node:
        return not matches(node["not"], contact, now)
    field, op, value = node["field"], node["op"], node.get("value")
    if field.startswith("attributes."):
        name = field.removeprefix("attributes.")
        kind, x = ATTRIBUTES[name], _attribute(contact, name)
    else:
        x = getattr(contact, field)
        kind = {
            "tags": "list",
            "lists": "list",
            "orders_count": "number",
            "total_spent": "number",
        }.get(field, "timestamp" if field.endswith("_at") else "string")
    return _OPERATORS[(kind, op)](x, value, now)


def _string_ops() -> dict[str, Callable[[Any, Any, datetime], bool]]:
    return {
        "eq": lambda x, v, _: x == v,
        "neq": lambda x, v, _: x != v,
        "in": lambda x, v, _: x in v,
        "not_in": lambda x, v, _: x not in v,
        "contains": lambda x, v, _: x is not None and v.lower() in x.lower(),
        "starts_with": lambda x, v, _: x is not None and x.lower().startswith(v.lower()),
        "is_set": lambda x, _v, _: x not in (None, ""),
        "is_not_set": lambda x, _v, _: x in (None, ""),
    }


def _number_ops() -> dict[str, Callable[[Any, Any, datetime], bool]]:
    def num(v: Any) -> Decimal:
        return Decimal(str(v))

    return {
        "eq": lambda x, v, _: x is not None and x == num(v),
        "neq": lambda x, v, _: x is None or x != num(v),
        "gt": lambda x, v, _: x is not None and x > num(v),
        "gte": lambda x, v, _: x is not None and x >= num(v),
        "lt": lambda x, v, _: x is not None and x < num(v),
        "lte": lambda x, v, _: x is not None and x <= num(v),
        "between": lambda x, v, _: x is not None and num(v[0]) <= x <= num(v[1]),
        "is_set": lambda x, _v, _: x is not None,
        "is_not_set": lambda x, _v, _: x is None,
    }


def _timestamp_ops() -> dict[str, Callable[[Any, Any, datetime], bool]]:
    def after(x: datetime, raw: str) -> bool:
        bound = _bound(raw)
        return x > bound if isinstance(bound, datetime) else x >= _day_end(bound)

    def between(x: datetime, raws: list[str]) -> bool:
        low, high = _bound(raws[0]), _bound(raws[1])
        upper = x <= high if isinstance(high, datetime) else x < _day_end(high)
        return x >= _day_start(low) and upper

    return {
        "before": lambda x, v, _: x is not None and x < _day_start(_bound(v)),
        "after": lambda x, v, _: x is not None and after(x, v),
        "between": lambda x, v, _: x is not None and between(x, v),
        "within_last_days": lambda x, v, now: x is not None and x >= now - timedelta(days=v),
        "not_within_last_days": lambda x, v, now: x is None or x < now - timedelta(days=v),
        "is_set": lambda x, _v, _: x is not None,
        "is_not_set": lambda x, _v, _: x is None,
    }


def _date_ops() -> dict[str, Callable[[Any, Any, datetime], bool]]:
    def since(now: datetime, days: int) -> str:
        return (now.date() - timedelta(days=days)).isoformat()

    return {
        "before": lambda x, v, _: x is not None and x < v,
        "after": lambda x, v, _: x is not None and x > v,
        "between": lambda x, v, _: x is not None and v[0] <= x <= v[1],
        "within_last_days": lambda x, v, now: x is not None and x >= since(now, v),
        "not_within_last_days": lambda x, v, now: x is None or x < since(now, v),
        "is_set": lambda x, _v, _: x not in (None, ""),
        "is_not_set": lambda x, _v, _: x in (None, ""),
    }


def _list_ops() -> dict[str, Callable[[Any, Any, datetime], bool]]:
    return {
        "has": lambda x, v, _: v in x,
        "has_any": lambda x, v, _: any(item in x for item in v),
        "has_all": lambda x, v, _: all(item in x for item in v),
        "has_none": lambda x, v, _: not any(item in x for item in v),
    }


_OPERATORS: dict[tuple[str, str], Callable[[Any, Any, datetime], bool]] = {
    **{("string", op): f for op, f in _string_ops().items()},
    **{("number", op): f for op, f in _number_ops().items()},
    **{("timestamp", op): f for op, f in _timestamp_ops().items()},
    **{("date", op): f for op, f in _date_ops().items()},
    **{("list", op): f for op, f in _list_ops().items()},
    ("boolean", "eq"): lambda x, v, _: x is v,
    ("boolean", "is_set"): lambda x, _v, _: x is not None,
    ("boolean", "is_not_set"): lambda x, _v, _: x is None,
}


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "op": op, **({} if value is None else {"value": value})}


# Every operator of every type at least once, and groups, negations and the examples.
FILTERS: list[dict[str, Any]] = [
    cond("country", "eq", "FR"),
    cond("country", "neq", "FR"),
    cond("country", "in", ["BE", "CH"]),
    cond("country", "not_in", ["FR", "RE"]),
    cond("country", "is_set"),
    cond("country", "is_not_set"),
    cond("timezone", "eq", "Indian/Reunion"),
    cond("locale", "starts_with", "fr"),
    cond("lifecycle", "in", ["customer", "member"]),
    cond("first_name", "contains", "JEAN"),
    cond("first_name", "is_set"),
    cond("first_name", "is_not_set"),
    cond("last_name", "contains", "_"),
    cond("last_name", "contains", "%"),
    cond("email", "contains", "example.fr"),
    cond("email", "starts_with", "x_"),
    cond("phone", "starts_with", "+336100100"),
    cond("orders_count", "eq", 2),
    cond("orders_count", "neq", 0),
    cond("orders_count", "gt", 1),
    cond("orders_count", "gte", 5),
    cond("orders_count", "lt", 2),
    cond("orders_count", "lte", 1),
    cond("total_spent", "between", [100, 999.99]),
    cond("total_spent", "is_set"),  # never null: everyone
    cond("created_at", "within_last_days", 30),
    cond("created_at", "before", (date.today() - timedelta(days=200)).isoformat()),
    cond("created_at", "after", (date.today() - timedelta(days=100)).isoformat()),
    cond(
        "created_at",
        "between",
        [
            (date.today() - timedelta(days=300)).isoformat(),
            (datetime.now(UTC) - timedelta(days=100, hours=2)).isoformat(),
        ],
    ),
    cond("last_click_at", "within_last_days", 30),
    cond("last_click_at", "not_within_last_days", 30),
    cond("last_reply_at", "is_set"),
    cond("last_reply_at", "is_not_set"),
    cond("last_order_at", "not_within_last_days", 60),
    cond("tags", "has", "vip"),
    cond("tags", "has_any", ["vip", "new"]),
    cond("tags", "has_all", ["vip", "newsletter"]),
    cond("tags", "has_none", ["blocked"]),
    cond("lists", "has", "summer"),
    cond("lists", "has_none", ["black-friday", "loyal"]),
    cond("attributes.points", "eq", 500),
    cond("attributes.points", "neq", 500),
    cond("attributes.points", "gt", 499.5),
    cond("attributes.points", "gte", 499.5),
    cond("attributes.points", "lt", 250),
    cond("attributes.points", "lte", 250),
    cond("attributes.points", "between", [10, 500]),
    cond("attributes.points", "is_set"),
    cond("attributes.points", "is_not_set"),
    cond("attributes.tier", "eq", "gold"),
    cond("attributes.tier", "neq", "gold"),
    cond("attributes.tier", "in", ["gold", "silver"]),
    cond("attributes.tier", "not_in", ["gold", "silver"]),
    cond("attributes.tier", "contains", "OL"),
    cond("attributes.tier", "starts_with", "g"),
    cond("attributes.tier", "is_not_set"),
    cond("attributes.vip", "eq", True),
    cond("attributes.vip", "eq", False),
    cond("attributes.vip", "is_set"),
    cond("attributes.vip", "is_not_set"),
    cond("attributes.renewal", "before", "2026-11-24"),
    cond("attributes.renewal", "after", "2027-01-01"),
    cond("attributes.renewal", "between", ["2026-10-01", "2026-12-31"]),
    cond("attributes.renewal", "within_last_days", 60),
    cond("attributes.renewal", "not_within_last_days", 60),
    cond("attributes.renewal", "is_set"),
    {"all": []},
    {
        "all": [
            cond("country", "eq", "FR"),
            cond("lifecycle", "eq", "customer"),
            cond("last_click_at", "within_last_days", 30),
        ]
    },
    {"any": [cond("tags", "has", "vip"), cond("attributes.points", "gt", 1000)]},
    {"not": cond("attributes.tier", "eq", "gold")},
    {"not": {"any": [cond("country", "eq", "FR"), cond("last_order_at", "within_last_days", 90)]}},
    {
        "all": [
            {"not": {"not": cond("email", "is_set")}},
            {"any": [cond("orders_count", "gte", 1), {"not": cond("lists", "has", "loyal")}]},
        ]
    },
]


class TestCountsMatchTheLanguage:
    async def test_every_filter_counts_what_python_selects(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for(WORKSPACE)
        await _declare_attributes(client, key)
        contacts = await seeded(WORKSPACE, sessions, seed=1)
        other = await key_for(OTHER_WORKSPACE)
        await _declare_attributes(client, other)
        await seeded(OTHER_WORKSPACE, sessions, seed=2)  # same shapes, another workspace
        wrong: list[str] = []
        for raw in FILTERS:
            for include_unreachable in (False, True):
                response = await client.post(
                    "/v1/segments/count",
                    headers=bearer(key),
                    json={"filter": raw, "include_unreachable": include_unreachable},
                )
                assert response.status_code == 200, f"{raw}: {response.text}"
                now = datetime.now(UTC)
                expected = sum(
                    1
                    for c in contacts
                    if (include_unreachable or c.reachable) and matches(raw, c, now)
                )
                if response.json()["count"] != expected:
                    wrong.append(
                        f"{json.dumps(raw)} ({include_unreachable=}): "
                        f"{response.json()['count']} != {expected}"
                    )
        assert wrong == []

    async def test_the_filters_are_not_all_trivial(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        contacts = await seeded(WORKSPACE, sessions, seed=1)
        now = datetime.now(UTC)
        sizes = [sum(matches(raw, c, now) for c in contacts) for raw in FILTERS]
        trivial = [
            raw for raw, size in zip(FILTERS, sizes, strict=True) if size in (0, len(contacts))
        ]
        assert trivial == [cond("total_spent", "is_set"), {"all": []}]

    @pytest.mark.parametrize(
        "raw",
        [
            cond("country", "eq", "FR"),
            {"not": cond("attributes.tier", "eq", "gold")},
            cond("last_order_at", "not_within_last_days", 60),
        ],
    )
    async def test_a_preview_is_the_first_matches_in_id_order(
        self,
        raw: dict[str, Any],
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for(WORKSPACE)
        await _declare_attributes(client, key)
        contacts = await seeded(WORKSPACE, sessions, seed=1)
        response = await client.post(
            "/v1/segments/preview", headers=bearer(key), json={"filter": raw, "limit": 25}
        )
        assert response.status_code == 200, response.text
        now = datetime.now(UTC)
        expected = sorted(c.id for c in contacts if c.reachable and matches(raw, c, now))[:25]
        assert [uuid.UUID(item["id"]) for item in response.json()["items"]] == expected

    async def test_a_preview_holds_at_most_100(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(WORKSPACE)
        response = await client.post(
            "/v1/segments/preview", headers=bearer(key), json={"filter": {"all": []}, "limit": 101}
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "limit"


class TestInvalidFilters:
    @pytest.mark.parametrize(
        ("raw", "detail"),
        [
            (
                {
                    "all": [
                        cond("country", "eq", "FR"),
                        cond("tags", "has", "x"),
                        cond("attributes.points", "gt", "many"),
                    ]
                },
                "filter.all[2].value: expected a number for attribute 'points'",
            ),
            (cond("attributes.foo", "eq", "x"), "filter.field: unknown attribute 'foo'"),
            ({"any": []}, "filter.any: must hold at least one condition"),
        ],
    )
    async def test_are_422_naming_the_spot(
        self, raw: dict[str, Any], detail: str, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-seg-invalid")
        await client.put("/v1/attributes/points", headers=bearer(key), json={"type": "number"})
        for path, body in (
            ("/v1/segments/count", {"filter": raw}),
            ("/v1/segments/preview", {"filter": raw}),
            ("/v1/segments", {"name": "broken", "filter": raw}),
        ):
            response = await client.post(path, headers=bearer(key), json=body)
            assert response.status_code == 422, response.text
            assert response.json()["detail"] == detail


class TestSavedSegments:
    async def test_create_read_list_replace_count_delete(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for(WORKSPACE)
        await _declare_attributes(client, key)
        contacts = await seeded(WORKSPACE, sessions, seed=1)
        name = f"vip-{uuid.uuid4().hex[:6]}"
        vip = cond("tags", "has", "vip")
        created = await client.post(
            "/v1/segments", headers=bearer(key), json={"name": name, "filter": vip}
        )
        assert created.status_code == 201, created.text
        segment = created.json()
        assert (segment["name"], segment["filter"]) == (name, vip)
        again = await client.post(
            "/v1/segments", headers=bearer(key), json={"name": name, "filter": vip}
        )
        assert again.status_code == 409
        assert "already exists" in again.json()["detail"]

        read = await client.get(f"/v1/segments/{segment['id']}", headers=bearer(key))
        assert read.json() == segment
        listed = await client.get("/v1/segments", headers=bearer(key), params={"limit": 500})
        assert segment["id"] in [s["id"] for s in listed.json()["items"]]

        counted = await client.get(f"/v1/segments/{segment['id']}/count", headers=bearer(key))
        now = datetime.now(UTC)
        assert counted.json()["count"] == sum(
            c.reachable and matches(vip, c, now) for c in contacts
        )
        assert counted.json()["took_ms"] >= 0
        everyone = await client.get(
            f"/v1/segments/{segment['id']}/count",
            headers=bearer(key),
            params={"include_unreachable": "true"},
        )
        assert everyone.json()["count"] == sum(matches(vip, c, now) for c in contacts)

        blocked = cond("tags", "has", "blocked")
        replaced = await client.put(
            f"/v1/segments/{segment['id']}",
            headers=bearer(key),
            json={"name": name + "-b", "filter": blocked},
        )
        assert replaced.status_code == 200, replaced.text
        assert replaced.json()["filter"] == blocked
        assert replaced.json()["created_at"] == segment["created_at"]

        deleted = await client.delete(f"/v1/segments/{segment['id']}", headers=bearer(key))
        assert deleted.status_code == 204
        gone = await client.get(f"/v1/segments/{segment['id']}", headers=bearer(key))
        assert gone.status_code == 404

    async def test_renaming_onto_another_segment_is_a_conflict(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-seg-rename")
        everyone = {"all": []}
        first = await client.post(
            "/v1/segments", headers=bearer(key), json={"name": "a", "filter": everyone}
        )
        second = await client.post(
            "/v1/segments", headers=bearer(key), json={"name": "b", "filter": everyone}
        )
        renamed = await client.put(
            f"/v1/segments/{second.json()['id']}",
            headers=bearer(key),
            json={"name": "a", "filter": everyone},
        )
        assert (first.status_code, second.status_code, renamed.status_code) == (201, 201, 409)

    async def test_another_workspace_sees_neither_segments_nor_contacts(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        owner = await key_for(WORKSPACE)
        await _declare_attributes(client, owner)
        await seeded(WORKSPACE, sessions, seed=1)
        stranger = await key_for("ws-seg-stranger")
        created = await client.post(
            "/v1/segments",
            headers=bearer(owner),
            json={"name": f"s-{uuid.uuid4().hex[:6]}", "filter": {"all": []}},
        )
        segment_id = created.json()["id"]
        for method, path in (
            ("GET", f"/v1/segments/{segment_id}"),
            ("GET", f"/v1/segments/{segment_id}/count"),
            ("PUT", f"/v1/segments/{segment_id}"),
            ("DELETE", f"/v1/segments/{segment_id}"),
            ("GET", f"/v1/snapshots/contacts?segment_id={segment_id}"),
        ):
            body = {"name": "x", "filter": {"all": []}} if method == "PUT" else None
            response = await client.request(method, path, headers=bearer(stranger), json=body)
            assert response.status_code == 404, f"{method} {path}: {response.status_code}"
        listed = await client.get("/v1/segments", headers=bearer(stranger))
        assert listed.json()["items"] == []
        counted = await client.post(
            "/v1/segments/count", headers=bearer(stranger), json={"filter": {"all": []}}
        )
        assert counted.json()["count"] == 0
        # and the attribute types are the workspace's own
        unknown = await client.post(
            "/v1/segments/count",
            headers=bearer(stranger),
            json={"filter": cond("attributes.points", "gt", 1)},
        )
        assert unknown.status_code == 422


class TestSnapshotOfASegment:
    async def test_streams_the_reachable_audience_in_id_order(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for(WORKSPACE)
        await _declare_attributes(client, key)
        contacts = await seeded(WORKSPACE, sessions, seed=1)
        raw = {"all": [cond("country", "eq", "FR"), cond("attributes.points", "gte", 250)]}
        segment = (
            await client.post(
                "/v1/segments",
                headers=bearer(key),
                json={"name": f"snap-{uuid.uuid4().hex[:6]}", "filter": raw},
            )
        ).json()
        now = datetime.now(UTC)
        matching = [c for c in contacts if matches(raw, c, now)]

        streamed = await client.get(
            "/v1/snapshots/contacts", headers=bearer(key), params={"segment_id": segment["id"]}
        )
        assert streamed.status_code == 200
        ids = [uuid.UUID(json.loads(line)["id"]) for line in streamed.text.splitlines()]
        assert ids == sorted(c.id for c in matching if c.reachable)

        everyone = await client.get(
            "/v1/snapshots/contacts",
            headers=bearer(key),
            params={"segment_id": segment["id"], "include_unreachable": "true"},
        )
        assert len(everyone.text.splitlines()) == len(matching)

    async def test_without_a_segment_unreachable_numbers_are_left_out(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for(WORKSPACE)
        contacts = await seeded(WORKSPACE, sessions, seed=1)
        streamed = await client.get("/v1/snapshots/contacts", headers=bearer(key))
        assert len(streamed.text.splitlines()) == sum(c.reachable for c in contacts)

    async def test_an_unknown_segment_is_404_before_any_line(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(WORKSPACE)
        response = await client.get(
            "/v1/snapshots/contacts", headers=bearer(key), params={"segment_id": str(uuid.uuid4())}
        )
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
