"""How the sender turns gateway answers into outcomes (a scripted fake session, no IO)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest

from herald_dispatcher.domain.messages import Address, Part
from herald_dispatcher.domain.outcomes import OutcomeKind, SendOutcome
from herald_dispatcher.gateway.smpp_client import (
    ConnectionLost,
    NotSent,
    ResponseTimeout,
    SubmitResponse,
)
from herald_dispatcher.sender import Sender
from herald_dispatcher.service import Outgoing
from herald_dispatcher.settings import DispatcherSettings, SmppSettings
from herald_kit.outbox import Outbox
from herald_kit.settings import DbSettings, ErasureSettings, KafkaSettings

Answer = SubmitResponse | BaseException


class ScriptedSession:
    """Answers each submit_sm with the next scripted answer; records what was sent."""

    def __init__(self, answers: list[Answer]) -> None:
        self.answers: Iterator[Answer] = iter(answers)
        self.sent: list[Part] = []

    async def send_submit(
        self, source: Address, destination: Address, part: Part
    ) -> asyncio.Future[SubmitResponse]:
        answer = next(self.answers)
        if isinstance(answer, NotSent):
            raise answer
        self.sent.append(part)
        future: asyncio.Future[SubmitResponse] = asyncio.get_running_loop().create_future()
        if isinstance(answer, BaseException):
            future.set_exception(answer)
        else:
            future.set_result(answer)
        return future


def sender() -> Sender:
    settings = DispatcherSettings(
        db=DbSettings(url="postgresql+asyncpg://u:p@127.0.0.1:1/x"),  # type: ignore[arg-type]
        kafka=KafkaSettings(bootstrap_servers="127.0.0.1:1"),
        smpp=SmppSettings(password="t3stpw", rate_per_second=1_000_000),  # type: ignore[arg-type]
        erasure=ErasureSettings(key="unit-tests-erasure-key-0123"),  # type: ignore[arg-type]
    )
    return Sender(settings, None, None, Outbox("dispatcher"))  # type: ignore[arg-type]


def outgoing(text: str = "Bonjour") -> Outgoing:
    return Outgoing(
        message_id=uuid.uuid4(),
        workspace_id="ws",
        campaign_id=None,
        phone="+33612345678",
        text=text,
        category="transactional",
        sender="HERALD",
        segments=1,
        encoding="GSM7",
        attempts=1,
    )


OK = SubmitResponse(0, "id-1")


async def run(answers: list[Answer], text: str = "Bonjour") -> tuple[SendOutcome, ScriptedSession]:
    session = ScriptedSession(answers)
    outcome = await sender()._submit(session, outgoing(text), 0.0)  # type: ignore[arg-type]
    return outcome, session


LONG = "a" * 400  # three parts


class TestSubmitOutcomes:
    async def test_accepted(self) -> None:
        outcome, _ = await run([OK])
        assert outcome == SendOutcome(OutcomeKind.SUBMITTED, ("id-1",))

    @pytest.mark.parametrize(
        ("status", "kind"),
        [
            (0x58, OutcomeKind.THROTTLED),
            (0x14, OutcomeKind.THROTTLED),
            (0x08, OutcomeKind.TRANSIENT),
        ],
    )
    def test_retryable_rejections(self, status: int, kind: OutcomeKind) -> None:
        outcome, _ = asyncio.run(run([SubmitResponse(status, None)]))
        assert outcome.kind is kind
        assert outcome.provider_message_ids == ()

    async def test_a_permanent_rejection_fails(self) -> None:
        outcome, _ = await run([SubmitResponse(0x0B, None)])
        assert outcome.kind is OutcomeKind.FAILED
        assert (outcome.error_code, outcome.reason) == (
            "0x0000000B",
            "invalid destination address",
        )

    @pytest.mark.parametrize("error", [ResponseTimeout("late"), ConnectionLost("gone")])
    async def test_no_answer_is_in_doubt(self, error: BaseException) -> None:
        outcome, _ = await run([error])
        assert outcome.kind is OutcomeKind.IN_DOUBT

    async def test_not_sent_is_safe_to_retry(self) -> None:
        outcome, session = await run([NotSent("no bind")])
        assert outcome.kind is OutcomeKind.NOT_SENT
        assert session.sent == []

    async def test_a_throttled_part_of_a_long_message_is_retried_alone(self) -> None:
        answers: list[Answer] = [
            SubmitResponse(0, "p1"),
            SubmitResponse(0x58, None),
            SubmitResponse(0, "p3"),
            SubmitResponse(0, "p2"),
        ]
        outcome, session = await run(answers, LONG)
        assert outcome == SendOutcome(OutcomeKind.SUBMITTED, ("p1", "p2", "p3"))
        indexes = [part.short_message[5] for part in session.sent]
        assert indexes == [1, 2, 3, 2]

    async def test_a_long_message_throttled_everywhere_is_requeued_whole(self) -> None:
        outcome, session = await run([SubmitResponse(0x58, None)] * 3, LONG)
        assert outcome.kind is OutcomeKind.THROTTLED
        assert len(session.sent) == 3

    async def test_a_long_message_cut_by_a_lost_bind_is_in_doubt(self) -> None:
        outcome, _ = await run([SubmitResponse(0, "p1"), NotSent("gone")], LONG)
        assert outcome == SendOutcome(
            OutcomeKind.IN_DOUBT, ("p1",), reason="bind lost in the middle of a long message"
        )

    async def test_a_permanent_error_on_a_later_part_fails_with_the_known_ids(self) -> None:
        answers: list[Answer] = [OK, SubmitResponse(0x0B, None), SubmitResponse(0, "id-3")]
        outcome, _ = await run(answers, LONG)
        assert outcome.kind is OutcomeKind.FAILED
        assert outcome.provider_message_ids == ("id-1", "id-3")


class TestStopReadAfterTheClaim:
    """domain/recent_stops.py: the sender's last look before a message's first PDU."""

    async def test_a_stop_heard_after_the_claim_sends_nothing(self) -> None:
        subject, session = sender(), ScriptedSession([OK])
        subject.stops.heard("ws", "+33612345678", at=10.0)
        outcome = await subject._submit(session, outgoing(), 5.0)  # type: ignore[arg-type]
        assert outcome.kind == OutcomeKind.WITHHELD
        assert session.sent == []

    async def test_a_stop_committed_before_the_claim_is_the_gate_s_call(self) -> None:
        subject, session = sender(), ScriptedSession([OK])
        subject.stops.heard("ws", "+33612345678", at=10.0)
        subject.stops.committed([("ws", "+33612345678")], at=11.0)
        outcome = await subject._submit(session, outgoing(), 12.0)  # type: ignore[arg-type]
        assert outcome == SendOutcome(OutcomeKind.SUBMITTED, ("id-1",))

    async def test_another_number_s_stop_changes_nothing(self) -> None:
        subject, session = sender(), ScriptedSession([OK])
        subject.stops.heard("ws", "+33612345679", at=10.0)
        outcome = await subject._submit(session, outgoing(), 5.0)  # type: ignore[arg-type]
        assert outcome.kind == OutcomeKind.SUBMITTED
