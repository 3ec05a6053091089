"""What the player reports: its activity, the attempt it describes, and the notices.

``change`` is the one place the reported activity changes (``ALLOWED`` is its table): it logs,
issues the typed notice and calls ``on_change``. ``notify`` issues every other notice.

The context describes the item that plays or played last. An item being opened, or waiting for
its StreamDeliver, has not sounded yet: until its first real TIME advance the context still
shows the previous item (STOPPED) or IDLE, so it never claims PLAYING for silence.
"""

from __future__ import annotations

from collections.abc import Callable

import structlog

from clova_client.clock import Clock

from .attempt import Attempt
from .notices import ItemRef, Notice, NoticeKind
from .queue import PlayQueue
from .settings import PlayerSettings
from .status import Activity, PlayerStatus

log = structlog.get_logger(__name__)

IDLE, PLAYING, PAUSED, STOPPED = (
    Activity.IDLE,
    Activity.PLAYING,
    Activity.PAUSED,
    Activity.STOPPED,
)

ALLOWED: dict[Activity, frozenset[Activity]] = {
    IDLE: frozenset({PLAYING, PAUSED, STOPPED}),
    PLAYING: frozenset({PAUSED, STOPPED}),
    PAUSED: frozenset({PLAYING, STOPPED}),
    STOPPED: frozenset({PLAYING, PAUSED}),
}
"""The reported activity's changes (a change outside it is logged as an error)."""


def item_ref(attempt: Attempt) -> ItemRef:
    return ItemRef(attempt.key, attempt.token)


class Reported:
    """The activity and the attempt the context describes; the notices as of now."""

    def __init__(
        self,
        queue: PlayQueue,
        clock: Clock,
        settings: PlayerSettings,
        notify: Callable[[Notice], None],
    ) -> None:
        self._queue = queue
        self._clock = clock
        self._settings = settings
        self._notify = notify
        self.state = IDLE
        self._shown: Attempt | None = None
        self.on_change: Callable[[], None] | None = None

    @property
    def shown(self) -> Attempt | None:
        """The attempt the context describes (None when IDLE)."""
        return self._shown if self.state is not IDLE else None

    @property
    def last_shown(self) -> Attempt | None:
        """The attempt the context described last (also when IDLE again)."""
        return self._shown

    def is_shown(self, attempt: Attempt) -> bool:
        """``attempt`` is what the context shows, as playing or paused."""
        return attempt is self._shown and self.state in (PLAYING, PAUSED)

    def position(self, attempt: Attempt) -> int:
        return attempt.position(self._clock.now(), self._settings.max_extrapolation_ms)

    def status(self) -> PlayerStatus:
        """What the player reports as of now (the position interpolated)."""
        attempt = self._shown
        repeat = self._queue.repeat
        if self.state is IDLE or attempt is None:
            return PlayerStatus(self.state, repeat)
        return PlayerStatus(
            self.state, repeat, self.position(attempt), attempt.total_ms, attempt.stream
        )

    def change(self, new: Activity, notice: NoticeKind | None, attempt: Attempt) -> None:
        """The one place the reported activity changes."""
        old = self.state
        if new not in ALLOWED[old]:
            log.error("player.bad_transition", from_state=old.value, state=new.value)
        self.state, self._shown = new, attempt
        log.info(
            "player.state",
            from_state=old.value,
            state=new.value,
            notice=notice.value if notice else None,
            audio_item_id=attempt.key,
            token=attempt.token,
            offset_ms=self.position(attempt),
        )
        if notice:
            self.notify(notice)
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:
                log.exception("player.on_change_failed")

    def notify(
        self,
        kind: NoticeKind,
        *,
        item: ItemRef | None = None,
        reason: str | None = None,
        dialog_request_id: str | None = None,
        report_ms: int | None = None,
    ) -> None:
        """Issue a notice as of now (the item shown, unless ``item`` names another)."""
        shown = self.shown
        self._notify(
            Notice(
                kind,
                self.status(),
                item or (item_ref(shown) if shown else None),
                reason=reason,
                dialog_request_id=dialog_request_id,
                report_ms=report_ms,
            )
        )

    def need_stream(self, attempt: Attempt) -> None:
        self._notify(
            Notice(
                NoticeKind.STREAM_NEEDED,
                self.status(),
                item_ref(attempt),
                stream=attempt.entry.stream,
            )
        )
