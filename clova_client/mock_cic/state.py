"""Everything the mock knows and decides, with no HTTP in it: devices, records, downchannels,
connections, faults, responders, the rules. The HTTP layers (``cic_app``, ``web_app``) call it."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import structlog

from .auth import DEFAULT_TOKENS, MockTokens
from .connections import Connection, Connections
from .downchannel import Downchannel
from .faults import Faults
from .messages import JsonObject, log_directive
from .records import DeviceBook, RecordedEvent
from .remote import RemoteCommand, RemoteLog
from .responders import Responders
from .rules import Rules
from .voice import Recognition, Voice

log = structlog.get_logger(__name__)

SUBTYPES = ("related", "form-data")


@dataclass
class QueuedReply:
    """Directives for the 200 answer to the next event of a device (of one name, if given)."""

    directives: list[JsonObject]
    attachments: Mapping[str, bytes] | None = None
    on: str | None = None


@dataclass
class Answer:
    """What the mock sends back for an accepted event (no directives: 204)."""

    directives: list[JsonObject]
    attachments: dict[str, bytes]


class MockState:
    """The mock's memory and decisions; one per MockCicServer, kept across restarts."""

    def __init__(
        self,
        tokens: Mapping[str, str] | None = None,
        refresh_tokens: Mapping[str, str] | None = None,
        *,
        subtype: str = "related",
        rules: Rules | None = None,
    ) -> None:
        if subtype not in SUBTYPES:
            raise ValueError(f"subtype must be one of {', '.join(SUBTYPES)}")
        self.subtype = subtype
        self.rules = rules if rules is not None else Rules()
        self.auth = MockTokens(tokens if tokens is not None else DEFAULT_TOKENS, refresh_tokens)
        self.devices = DeviceBook()
        self.faults = Faults()
        self.responders = Responders()
        self.remote = RemoteLog()
        """The Expect*Commands the app sent, until the speaker answers them."""
        self.connections = Connections()
        self.downchannels: dict[str, Downchannel] = {}
        self.refuse: Callable[[float], None] | None = None
        """Stops the CIC port for some seconds (set while the server runs)."""
        self._opened_at: dict[str, float] = {}
        self._pending: dict[str, list[tuple[list[JsonObject], Mapping[str, bytes] | None]]] = {}
        self._replies: dict[str, list[QueuedReply]] = {}
        self.voice = Voice(self.push_now, self.deliver)
        """SpeechRecognizer.Recognize: the script, the ExpectSpeech ids sent, the TTS."""

    # devices ---------------------------------------------------------------------------------

    def device_or_default(self, value: object) -> str:
        """``value`` as a device id; when empty, the one configured device (ValueError if many)."""
        if value:
            return str(value)
        devices = sorted(self.auth.initial_devices())
        if len(devices) == 1:
            return devices[0]
        raise ValueError(f"device is required (known devices: {', '.join(devices)})")

    def note_request(
        self, device: str, connection: Connection, kind: str, user_agent: str | None
    ) -> None:
        """An authenticated CIC request: count it, remember the User-Agent and the connection."""
        record = self.devices.get(device)
        record.count(kind)
        if user_agent:
            record.user_agent = user_agent
        record.connection_ids.add(connection.id)
        connection.devices.add(device)
        connection.count(kind)

    # directives ------------------------------------------------------------------------------

    def deliver(
        self,
        device: str,
        directives: list[JsonObject],
        attachments: Mapping[str, bytes] | None = None,
    ) -> bool:
        """Push on the open downchannel; False when none is open and the directives wait."""
        self.voice.note_sent(device, directives)
        channel = self.downchannels.get(device)
        if channel is None or channel.closed:
            self._pending.setdefault(device, []).append((directives, attachments))
            for item in directives:
                log_directive(device, item, via="queued until a downchannel opens")
            return False
        for item in directives:
            log_directive(device, item, via="downchannel")
        channel.send(directives, attachments)
        return True

    def push_now(self, device: str, directives: list[JsonObject]) -> bool:
        """Push on the device's open downchannel; False (nothing sent) when none is open."""
        channel = self.downchannels.get(device)
        if channel is None or channel.closed:
            return False
        return self.deliver(device, directives)

    def reply_next(
        self,
        device: str,
        directives: list[JsonObject],
        *,
        on: str | None = None,
        attachments: Mapping[str, bytes] | None = None,
    ) -> None:
        self._replies.setdefault(device, []).append(QueuedReply(directives, attachments, on))

    def _take_reply(self, device: str, name: str) -> QueuedReply | None:
        queue = self._replies.get(device, [])
        for reply in queue:
            if reply.on is None or reply.on == name:
                queue.remove(reply)
                return reply
        return None

    def remote_control(self, device: str, command: RemoteCommand) -> tuple[JsonObject, bool]:
        """The Clova app's tap on ``command``: CIC's directive for it, pushed to the device (or
        queued); (the directive, delivered now)."""
        message = command.directive()
        self.remote.sent(device, command)
        log.info(
            "mock_cic.remote",
            device=device,
            command=command.command,
            dialog_request_id=command.dialog_request_id,
        )
        return message, self.deliver(device, [message])

    # downchannels ----------------------------------------------------------------------------

    def open_downchannel(self, device: str, connection: Connection) -> Downchannel | None:
        """A new downchannel (Hello and queued pushes first); None means answer 429."""
        old = self.downchannels.get(device)
        now = time.monotonic()
        if old is not None and not old.closed:
            opened = self._opened_at.get(device, 0.0)
            if now - opened < self.rules.downchannel_conflict_window:
                log.info("mock_cic.downchannel_conflict", device=device, connection=connection.id)
                return None
            log.info("mock_cic.downchannel_released", device=device, reason="second downchannel")
            old.close()
        channel = Downchannel(device, self.subtype, connection)
        delay = self.faults.take_hello_delay(device)
        if delay:
            log.info("mock_cic.fault_fired", fault="delay_hello", device=device, seconds=delay)
        channel.send_hello(delay)
        for items, attachments in self._pending.pop(device, []):
            channel.send(items, attachments)
        self.downchannels[device] = channel
        self._opened_at[device] = now
        return channel

    def downchannel_up(self, channel: Downchannel) -> None:
        """Clova.Hello was handed to the connection: events may come now."""
        channel.up = True
        if self.downchannels.get(channel.device) is channel:
            record = self.devices.get(channel.device)
            record.downchannel_open = True
            record.downchannel_opens += 1
            record.downchannel_connection = channel.connection.id
            self.devices.notify()
            log.info(
                "mock_cic.downchannel_open", device=channel.device, connection=channel.connection.id
            )

    def downchannel_down(self, channel: Downchannel) -> None:
        channel.closed = True
        if self.downchannels.get(channel.device) is channel:
            del self.downchannels[channel.device]
            record = self.devices.get(channel.device)
            record.downchannel_open = False
            record.downchannel_connection = None
            self.devices.notify()
            log.info(
                "mock_cic.downchannel_closed",
                device=channel.device,
                connection=channel.connection.id,
                ending=channel.ending.value,
            )

    # events ----------------------------------------------------------------------------------

    def event_refusal(self, device: str, connection: Connection) -> str | None:
        """Why CIC would answer 412 to an event of ``device`` on ``connection`` (None: fine)."""
        if not self.rules.same_connection:
            return None
        channel = self.downchannels.get(device)
        if channel is None or channel.closed:
            return "no downchannel is open for this device"
        if channel.connection is not connection:
            return (
                f"event on connection {connection.id}, the downchannel is on connection "
                f"{channel.connection.id}"
            )
        if not channel.up:
            return "event before Clova.Hello was written on the downchannel"
        return None

    def reject(self, device: str, status: int, error: str, errors: list[dict[str, str]]) -> None:
        self.devices.get(device).rejected_events.append(
            {"status": status, "error": error, "errors": errors}
        )
        self.devices.notify()
        log.warning("mock_cic.event_rejected", device=device, status=status, error=error)

    def accept_event(self, event: RecordedEvent) -> Answer:
        """Record the event; the directives of its answer (queued reply, responders)."""
        self._record(event)
        answer = Answer([], {})
        reply = self._take_reply(event.device, event.name)
        if reply is not None:
            answer.directives += reply.directives
            answer.attachments.update(reply.attachments or {})
        expected = self.remote.take(event.device, event.name)
        automatic = self.responders.answer(event.device, event.name, event.message, dialog=expected)
        if automatic and self.responders.reply_via == "downchannel":
            self.deliver(event.device, automatic)
        else:
            answer.directives += automatic
        for item in answer.directives:
            log_directive(event.device, item, via="response")
        self.voice.note_sent(event.device, answer.directives)
        return answer

    def begin_recognition(
        self, device: str, connection: Connection, message: JsonObject
    ) -> tuple[Recognition | None, str | None]:
        """A Recognize whose metadata just arrived: (its recognition, None) when CIC would take
        it, else (None, why it answers 412 when the body ends); a metadata problem (400) is
        found again when the body ends."""
        refusal = self.event_refusal(device, connection)
        if refusal is not None:
            return None, refusal
        if self.voice.problem(device, message) is not None:
            return None, None
        return self.voice.begin(device, message), None

    def accept_recognition(self, event: RecordedEvent, recognition: Recognition) -> None:
        """Record an accepted Recognize (its answer is the voice script's, nothing else's)."""
        self._record(
            event,
            dialog_request_id=recognition.dialog_request_id,
            audio_bytes=len(event.audio or b""),
        )
        payload = event.message.get("event", {}).get("payload") or {}
        self.voice.accepted(recognition, payload.get("speechId"))

    def _record(self, event: RecordedEvent, **fields: object) -> None:
        self.devices.record_event(event)
        log.info(
            "mock_cic.event",
            device=event.device,
            name=event.name,
            message_id=event.message_id,
            connection=event.connection,
            **fields,
        )

    def end_downchannel_after_answer(self, device: str) -> None:
        """The answer to an event went out: end the downchannel if a fault asked for it."""
        if self.faults.take_end_after_answer(device):
            channel = self.downchannels.get(device)
            log.info("mock_cic.fault_fired", fault="answer_then_end_downchannel", device=device)
            if channel is not None:
                channel.close()

    # reset -----------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget events, counters, faults, responders, queued replies/pushes, closed connections.

        Open connections stay open and tokens issued so far stay valid.
        """
        self.devices.clear()
        self.faults.clear()
        self.responders.clear()
        self.remote.clear()
        self.voice.clear()
        self._pending.clear()
        self._replies.clear()
        self.auth.reset()
        self.connections.forget_closed()
        log.info("mock_cic.reset")
