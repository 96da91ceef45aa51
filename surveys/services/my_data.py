"""Everything we hold about one shopper or one browser: to show, export, or delete.

A signed-in shopper's data is what their subject reaches (consents, profile reads and, while
consent is active, the linked answers) plus what this browser's respondent key holds. An
anonymous browser's data is only the latter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from surveys.models import ConsentRecord, ProfileRead
from surveys.questions import QUESTIONS, label_for
from surveys.services import answers as answer_service
from surveys.services import api_clients, profiles
from surveys.services import consent as consent_service
from surveys.services.answers import CurrentResponse
from surveys.services.consent import Controller, LinkCipher


@dataclass(slots=True)
class MyData:
    #: Answers this browser's respondent key holds (as they are now: see answers.reading).
    browser_responses: list[CurrentResponse] = field(default_factory=list)
    #: Answers the consent link reaches, when they are not this browser's.
    linked_responses: list[CurrentResponse] = field(default_factory=list)
    #: True when this browser's answers are the linked ones.
    browser_is_linked: bool = False
    signed_in: bool = False
    consent: ConsentRecord | None = None
    history: list[ConsentRecord] = field(default_factory=list)
    #: The newest profile reads (all of them unless ``gather`` was given a limit).
    reads: list[ProfileRead] = field(default_factory=list)
    reads_total: int = 0
    #: API client name -> what shoppers see as the reader (``flask clients create
    #: --display-name``); a name missing here is shown as it is.
    reader_names: dict[str, str] = field(default_factory=dict)

    def reader(self, client: str) -> str:
        return self.reader_names.get(client, client)


def gather(
    session: Session,
    subject: str | None,
    browser_hash: str | None,
    cipher: LinkCipher,
    reads_limit: int | None = None,
) -> MyData:
    """What the service holds for this browser and signed-in subject. ``reads_limit`` keeps
    the page light: a recommender on a hot path may read a profile thousands of times."""
    data = MyData(signed_in=subject is not None)
    if browser_hash:
        data.browser_responses = answer_service.responses_of(session, browser_hash)
    if subject is None:
        return data
    data.consent = consent_service.current(session, subject)
    data.history = consent_service.history(session, subject)
    data.reads = profiles.reads_of(session, subject, reads_limit)
    data.reads_total = (
        profiles.count_reads(session, subject)
        if reads_limit is not None and len(data.reads) == reads_limit
        else len(data.reads)
    )
    if data.reads:
        data.reader_names = api_clients.display_names(session)
    linked_hash = consent_service.linked_respondent_hash(session, subject, cipher)
    if linked_hash is not None and linked_hash == browser_hash:
        data.browser_is_linked = True
    elif linked_hash is not None:
        data.linked_responses = answer_service.responses_of(session, linked_hash)
    return data


def _response_json(response: CurrentResponse, shared: list[str]) -> dict[str, Any]:
    return {
        "survey": response.survey.slug,
        "title": response.survey.title,
        "answered_on": response.submitted_on.isoformat(),
        "changed_on": response.updated_on.isoformat(),
        "answers": {
            key: {"code": code, "label": label_for(key, code)}
            for key, code in response.answers().items()
            if key in response.survey.questions
        },
        "shared_for_personalisation": [k for k in shared if k in response.survey.questions],
    }


def export(data: MyData, controller: Controller, now: datetime) -> dict[str, Any]:
    """All of ``data`` as one JSON-ready document."""
    shared = list(data.consent.attributes) if data.consent else []
    return {
        "exported_at": now.isoformat(),
        "signed_in": data.signed_in,
        "answers_from_this_browser": [
            _response_json(r, shared if data.browser_is_linked else [])
            for r in data.browser_responses
        ],
        "answers_linked_from_another_browser": [
            _response_json(r, shared) for r in data.linked_responses
        ],
        "personalisation": (
            {
                "active": True,
                "attributes": shared,
                "attribute_names": [str(QUESTIONS[k].short_label) for k in shared],
                "notice_version": data.consent.notice_version,
                "notice_language": data.consent.notice_language,
                "since": data.consent.given_at.isoformat(),
            }
            if data.consent
            else {"active": False}
        ),
        "consent_receipts": [consent_service.receipt(r, controller) for r in data.history],
        "profile_reads": [
            {
                "client": read.client,
                "client_display_name": data.reader(read.client),
                "attributes": read.attributes,
                "read_at": read.read_at.isoformat(),
            }
            for read in data.reads
        ],
    }


def delete_everything(
    session: Session,
    subject: str | None,
    browser_hash: str | None,
    cipher: LinkCipher,
    now: datetime,
    language: str = consent_service.NOTICE_DEFAULT_LANGUAGE,
) -> None:
    """Delete answers, the link and profile reads; keep consent records as proof.

    An active consent is withdrawn first (recorded, with its answers deleted), so that the
    history says what happened. Answers are gone for every reader at once, and from the
    answers store's files at the next nightly settle.
    """
    if subject is not None:
        consent_service.withdraw(
            session,
            subject,
            delete_answers=True,
            method=consent_service.METHOD_PRIVACY_PAGE,
            cipher=cipher,
            now=now,
            language=language,
        )
        profiles.forget_reads(session, subject)
    if browser_hash is not None:
        answer_service.delete_answers(session, browser_hash, today=now.date())
        answer_service.clear_dismissals(session, browser_hash, now.date())
