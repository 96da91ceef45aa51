"""The store-copy attack of issue 10, as an insider would run it.

The insider holds copies of both stores (taken mid-day or after the nightly settle) and the
shop's own logs, which say when each customer submitted, changed or deleted answers. They do
not hold the app's keys. The answers store says on which day each row was first submitted
and last changed (``submitted_on``, ``updated_on``): that is allowed. So the attacker groups
the rows by those two days and the customers by the same two days from the logs, and, within
each group, lines the rows up in their physical order (SQLite: B-tree order, page and offset;
PostgreSQL: ``xmin`` then ``ctid``, or ``pg_dump`` order) against the customers in the order
they wrote. A store that keeps no order puts each customer on their own row with probability
1/(size of the group): that is *chance*.

:func:`run_scenario` drives a realistic mix through the app over many days with a simulated
clock; :func:`line_up` is the attack; :func:`null_tail` is the exact probability that a store
with no order would still exceed a bound (to choose sizes for which a test cannot fail by
luck). The same code attacks rows written the old way (:func:`replay_old_layout`), to show it
does find the order when there is one.
"""

from __future__ import annotations

import math
import random
import secrets
import sqlite3
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from surveys import clock, reference
from surveys.services.demo import fake_answers
from surveys.services.respondents import respondent_hash, unsign
from tests.conftest import csrf_token, settle_now
from tests.consent.consent_helpers import shop_token

ANONYMOUS, NON_CONSENTING, CONSENTING = "anonymous", "non_consenting", "consenting"
GROUPS = (ANONYMOUS, NON_CONSENTING, CONSENTING)
SUBMIT, CHANGE, DELETE = "submit", "change", "delete"
SLUG = "about-you"
QUESTIONS = ["state", "lga", "age_band", "income_band", "gender"]


@contextmanager
def simulated_clock() -> Iterator[Callable[[datetime], None]]:
    """Point the app's clock (``surveys.clock``) at a moment the test chooses."""
    moment = [datetime.now(UTC)]
    saved = clock.now, clock.today
    clock.now = lambda: moment[0]  # type: ignore[assignment]
    clock.today = lambda: moment[0].date()  # type: ignore[assignment]

    def set_to(when: datetime) -> None:
        moment[0] = when

    try:
        yield set_to
    finally:
        clock.now, clock.today = saved  # type: ignore[assignment]


@dataclass
class Person:
    name: str
    group: str
    subject: str | None
    client: FlaskClient
    respondent_hash: str | None = None
    #: The shop's own log of this customer: (time, submit | change | delete).
    log: list[tuple[datetime, str]] = field(default_factory=list)
    #: Every set of answers they gave, oldest first (for the remnant checks).
    answers: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Visit:
    day: int
    second: int
    person: int
    action: str  # new | change | delete | withdraw_keep


def plan(days: int, per_day: int, rng: random.Random, changes: int, deletions: int) -> list[Visit]:
    """New customers every day (groups in rotation), and on later days some whole days'
    customers come back together to change or delete their answers: each group of rows
    that share a first and a last day keeps two or more members, so that no customer is
    singled out by the days alone and the line-up is tested on every one of them."""
    visits = [
        Visit(day, rng.randrange(8 * 3600, 22 * 3600), day * per_day + slot, "new")
        for day in range(days)
        for slot in range(per_day)
    ]
    untouched = list(range(days - 1))
    rng.shuffle(untouched)
    for action, count in (("change", changes), ("delete", deletions)):
        for _ in range(count):
            first = untouched.pop()
            later = rng.randrange(first + 1, days)
            for slot in range(per_day):
                second = rng.randrange(8 * 3600, 22 * 3600)
                visits.append(Visit(later, second, first * per_day + slot, action))
    return sorted(visits, key=lambda v: (v.day, v.second))


def group_of(person: int, per_day: int) -> str:
    """Each day's customers are of different groups, in rotation."""
    day, slot = divmod(person, per_day)
    return GROUPS[(day + slot) % len(GROUPS)]


def _answers(rng: random.Random, avoid_income: str | None = None) -> dict[str, str]:
    while True:
        given = {k: v for k, v in fake_answers(rng, QUESTIONS).items() if v is not None}
        income = given.get("income_band")
        if given and income not in (None, reference.PREFER_NOT_TO_SAY, avoid_income):
            return given


class Shop:
    """Customers' browsers on the app, each with its own cookies."""

    def __init__(self, app: Flask, rng: random.Random):
        self.app, self.rng = app, rng

    def submit(self, person: Person, answers: dict[str, str]) -> None:
        client = person.client
        token = csrf_token(client.get(f"/surveys/{SLUG}"))
        page = client.post(f"/surveys/{SLUG}", data={"csrf_token": token, **answers})
        assert page.status_code == 303, page.get_data(as_text=True)
        cookie = client.get_cookie("respondent")
        assert cookie is not None
        key = unsign(self.app.config["SECRET_KEY"], cookie.value)
        person.respondent_hash = respondent_hash(key)

    def sign_in(self, person: Person) -> None:
        assert person.subject is not None
        token = shop_token(self.app, person.subject)
        assert person.client.get("/auth/shop", query_string={"token": token}).status_code == 303

    def post(self, person: Person, page: str, action: str, **data: str) -> None:
        token = csrf_token(person.client.get(page))
        response = person.client.post(action, data={"csrf_token": token, **data})
        assert response.status_code == 303, response.get_data(as_text=True)

    def visit(self, person: Person, action: str, now: datetime) -> None:
        rng = self.rng
        if person.subject is not None:
            self.sign_in(person)
        if action == "new":
            person.answers.append(_answers(rng))
            self.submit(person, person.answers[-1])
            person.log.append((now, SUBMIT))
            if person.group == CONSENTING:
                attributes = rng.sample(["state", "age_band", "income_band", "gender"], 2)
                self.post(person, "/me", "/me/consent", answer="yes", context="account",
                          attributes=attributes)  # fmt: skip
            elif person.group == NON_CONSENTING and rng.random() < 0.5:
                self.post(person, "/me", "/me/consent", answer="no", context="account")
            elif person.group == ANONYMOUS and rng.random() < 0.3:
                self.post(person, "/surveys/where-you-shop", "/surveys/where-you-shop/not-now")
        elif action == "change":
            person.answers.append(_answers(rng, avoid_income=person.answers[-1]["income_band"]))
            self.submit(person, person.answers[-1])
            person.log.append((now, CHANGE))
        elif action == "delete":
            if person.group == ANONYMOUS:
                self.post(person, "/me", f"/surveys/{SLUG}/delete")
            elif person.group == NON_CONSENTING:
                self.post(person, "/me", "/me/delete", confirm="yes")
            else:
                self.post(person, "/me", "/me/consent/withdraw", answers="delete", confirm="yes")
            person.log.append((now, DELETE))
        if person.subject is not None and rng.random() < 0.5:
            self.post(person, "/auth/logout", "/auth/logout")


@dataclass
class Scenario:
    people: list[Person]
    first_day: date
    days: int


def run_scenario(
    app: Flask,
    set_clock: Callable[[datetime], None],
    *,
    days: int,
    per_day: int = 2,
    changes: int = 0,
    deletions: int = 0,
    seed: int = 10,
    mid_last_day: Callable[[], None] | None = None,
) -> Scenario:
    """Customers visit day after day; the nightly settle runs at 00:05 each day, as the
    systemd timer would. ``mid_last_day`` is called halfway through the last day's visits
    (to take a copy while entries are pending). Ends on the last day, unsettled."""
    rng = random.Random(seed)
    first_day = date(2025, 1, 6)
    visits = plan(days, per_day, rng, changes, deletions)
    people = []
    for index in range(days * per_day):
        group = group_of(index, per_day)
        subject = None if group == ANONYMOUS else f"cust-{index:05d}-{secrets.token_hex(3)}"
        people.append(Person(f"p{index}", group, subject, app.test_client()))
    shop = Shop(app, rng)
    by_day: dict[int, list[Visit]] = defaultdict(list)
    for visit in visits:
        by_day[visit.day].append(visit)
    for day in range(days):
        today = first_day + timedelta(days=day)
        set_clock(datetime.combine(today, time(0, 5), UTC))
        if day:
            settle_now(app, include_today=False)
        todays = by_day[day]
        for index, visit in enumerate(todays):
            if mid_last_day is not None and day == days - 1 and index == len(todays) // 2:
                mid_last_day()
            now = datetime.combine(today, time(), UTC) + timedelta(seconds=visit.second)
            set_clock(now)
            shop.visit(people[visit.person], visit.action, now)
    return Scenario(people, first_day, days)


# --- the attack ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """An answer row as the attacker reads it from a copy, with its physical position."""

    respondent_hash: str
    submitted_on: date
    updated_on: date
    position: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Linkage:
    """How often the line-up put a group's customers on their own rows."""

    group: str
    people: int
    hits: int
    #: The expected hits of a store with no order: the sum of 1/(size of each one's group).
    chance: float
    #: Probability that a store with no order would have more than 1.5 x chance hits.
    null_tail: float

    @property
    def rate(self) -> float:
        return self.hits / self.people

    @property
    def chance_rate(self) -> float:
        return self.chance / self.people

    def __str__(self) -> str:
        return (
            f"{self.group}: {self.hits}/{self.people} on their own row "
            f"({self.rate:.0%}; chance {self.chance_rate:.0%}, "
            f"{self.rate / self.chance_rate:.2f}x)"
        )


def attacker_view(person: Person, settled_through: date) -> tuple[date, date, datetime] | None:
    """From the shop's log: (first day, last day, time of last write) of the customer's row
    as of the settle that covered days up to ``settled_through``; None if they have none."""
    events = [(at, what) for at, what in person.log if at.date() <= settled_through]
    if not events or events[-1][1] == DELETE:
        return None
    writes = [at for at, what in events if what in (SUBMIT, CHANGE)]
    return writes[0].date(), writes[-1].date(), writes[-1]


def line_up(rows: list[Row], people: list[Person], settled_through: date) -> dict[str, Linkage]:
    """The attack. Returns, per group, how many it linked and what chance would give."""
    row_sets: dict[tuple[date, date], list[Row]] = defaultdict(list)
    for row in rows:
        row_sets[(row.submitted_on, row.updated_on)].append(row)
    person_sets: dict[tuple[date, date], list[tuple[datetime, Person]]] = defaultdict(list)
    for person in people:
        view = attacker_view(person, settled_through)
        if view is not None:
            person_sets[view[:2]].append((view[2], person))
    assert set(person_sets) == set(row_sets), "the copy and the log disagree on the days"
    hits: dict[str, int] = defaultdict(int)
    chance: dict[str, float] = defaultdict(float)
    counted: dict[str, int] = defaultdict(int)
    sets: list[tuple[int, list[str]]] = []
    for key, members in person_sets.items():
        candidates = sorted(row_sets[key], key=lambda row: row.position)
        assert len(candidates) == len(members), key
        members.sort(key=lambda item: item[0])
        sets.append((len(members), [person.group for _, person in members]))
        for row, (_, person) in zip(candidates, members, strict=True):
            counted[person.group] += 1
            chance[person.group] += 1 / len(members)
            hits[person.group] += row.respondent_hash == person.respondent_hash
    return {
        group: Linkage(
            group, counted[group], hits[group], chance[group], null_tail(sets, group, 1.5)
        )
        for group in GROUPS
        if counted[group]
    }


@cache
def _fixed_points(size: int, marked: int) -> tuple[float, ...]:
    """P(exactly j of ``marked`` given points are fixed) in a uniformly random permutation
    of ``size`` points, for j = 0..marked: C(m, j) * sum_i (-1)^i C(m-j, i) (n-j-i)! / n!
    (inclusion-exclusion over the marked points that stay fixed)."""
    total = math.factorial(size)
    result = []
    for j in range(marked + 1):
        free = sum(
            (-1) ** i * math.comb(marked - j, i) * math.factorial(size - j - i)
            for i in range(marked - j + 1)
        )
        result.append(float(Fraction(math.comb(marked, j) * free, total)))
    return tuple(result)


def null_tail(sets: list[tuple[int, list[str]]], group: str, factor: float) -> float:
    """Exact P(hits > factor x expected) for ``group`` if the physical order within each set
    were a uniformly random permutation (a store that keeps no order): the per-set
    distributions of fixed points, convolved."""
    distribution = [1.0]
    expected = 0.0
    for size, groups in sets:
        marked = groups.count(group)
        if not marked:
            continue
        expected += marked / size
        step = _fixed_points(size, marked)
        merged = [0.0] * (len(distribution) + marked)
        for have, p in enumerate(distribution):
            for more, q in enumerate(step):
                merged[have + more] += p * q
        distribution = merged
    bound = factor * expected
    return sum(p for hits, p in enumerate(distribution) if hits > bound)


# --- rows written the old way ------------------------------------------------------------


def replay_events(people: list[Person]) -> Iterator[tuple[datetime, Person, str, int]]:
    """Every answer write in the shop's log, in the order it happened."""
    events = [
        (at, person, what, index)
        for person in people
        for index, (at, what) in enumerate(person.log)
    ]
    return iter(sorted(events, key=lambda event: event[0]))


def replay_old_layout(people: list[Person], write: Callable[[str, dict[str, Any]], None]) -> None:
    """Write the log's answers as the service did before the journal: INSERT at the first
    submission, UPDATE on a change, DELETE on a deletion, each at once, in arrival order."""
    for at, person, what, index in replay_events(people):
        answers = person.answers[min(index, len(person.answers) - 1)]
        row = {
            "id": uuid.uuid4().hex,
            "respondent_hash": person.respondent_hash,
            "income_band": answers.get("income_band"),
            "day": at.date().isoformat(),
        }
        write(what, row)


def old_layout_sqlite(people: list[Person], path: Path) -> Path:
    """The old ``responses`` table on SQLite: a rowid table keyed by a random UUID."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute(
        "CREATE TABLE responses (id CHAR(32) PRIMARY KEY, respondent_hash VARCHAR(64), "
        "income_band VARCHAR(32), submitted_on DATE, updated_on DATE)"
    )

    def write(what: str, row: dict[str, Any]) -> None:
        if what == SUBMIT:
            connection.execute(
                "INSERT INTO responses VALUES (:id, :respondent_hash, :income_band, :day, :day)",
                row,
            )
        elif what == CHANGE:
            connection.execute(
                "UPDATE responses SET income_band = :income_band, updated_on = :day "
                "WHERE respondent_hash = :respondent_hash",
                row,
            )
        else:
            connection.execute(
                "DELETE FROM responses WHERE respondent_hash = :respondent_hash", row
            )

    replay_old_layout(people, write)
    connection.close()
    return path
