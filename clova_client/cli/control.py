"""Subcommands that ask the running daemon over its control socket: status, press, volume,
dialog."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from .common import EXIT_CONFIG, EXIT_ERROR, Failure, ask, socket_of, socket_options

if TYPE_CHECKING:
    from .common import Commands

PRESS_WAIT_S = 60.0
"""How long ``press`` waits for the daemon's answer (it waits for CIC, at most button_ttl_s)."""


def _status(args: argparse.Namespace) -> int:
    from ..control import render_status

    document = ask(socket_of(args), {"cmd": "status"})
    if args.json:
        print(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        print(render_status(document))
    return 0


def _press(args: argparse.Namespace) -> int:
    # The daemon answers once CIC took the press or its time ran out (button_ttl_s, 10 s).
    from ..agents.buttons import Press
    from ..control import Button

    request: dict[str, str] = {"cmd": "press", "button": args.button}
    try:
        Press(Button(args.button), args.token, args.name)
    except ValueError as exc:
        raise Failure(f"press: {exc}", EXIT_CONFIG) from None
    if args.token is not None:
        request["token"] = args.token
    if args.name is not None:
        request["name"] = args.name
    result = ask(socket_of(args), request, timeout_s=PRESS_WAIT_S)
    event = result.get("event", args.button)
    ids = f" (messageId {result['message_id']})" if result.get("message_id") else ""
    if result.get("delivered") is False:
        print(f"dropped {event}{ids}: {result.get('note', 'not delivered in time')}")
        return EXIT_ERROR
    line = f"sent {event}{ids}"
    if result.get("note"):
        line += f"; {result['note']}"
    print(line)
    return 0


def _volume(args: argparse.Namespace) -> int:
    value: int | str | None = None
    if args.value is not None:
        value = args.value if args.value in ("up", "down") else _percent(args.value)
    result = ask(socket_of(args), {"cmd": "volume", "value": value})
    muted = " (muted)" if result.get("muted") else ""
    print(f"volume {result.get('volume')}{muted}")
    return 0


def _percent(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 100:
        raise Failure(f"volume: {text!r} is not 0-100, up or down", EXIT_CONFIG)
    return int(text)


def _dialog(args: argparse.Namespace) -> int:
    result = ask(socket_of(args), {"cmd": "dialog", "id": args.id})
    line = f"dialog {args.id} is current"
    if result.get("superseded"):
        line += f"; late directives of {result['superseded']} will be dropped"
    print(line)
    return 0


def add_status(commands: Commands) -> None:
    p = commands.add_parser(
        "status",
        help="show what the running daemon is doing",
        description="Ask the running daemon for its connection, player, queue, outbox and "
        "recent errors. Exit 1 when it is not running or does not answer.",
    )
    socket_options(p)
    p.add_argument("--json", action="store_true", help="print the raw status document")
    p.set_defaults(func=_status)


def add_press(commands: Commands) -> None:
    from ..control import Button

    p = commands.add_parser(
        "press",
        help="press a speaker button (sends PlaybackController.<Button>CommandIssued)",
        description="Press BUTTON on the running daemon, as the speaker's own button would: "
        "the matching *CommandIssued event goes to CIC, which answers with what to do. play "
        "sends ResumeCommandIssued, or PlayCommandIssued with --token (a playableItems token "
        "of RenderPlayerInfo); repeat sends SetRepeatModeCommandIssued with the next mode "
        "(NONE <-> REPEAT_ONE); custom NAME sends CustomCommandIssued. Exit 1 on any failure.",
    )
    p.add_argument(
        "button",
        choices=[b.value for b in Button],
        metavar="BUTTON",
        help=", ".join(b.value for b in Button),
    )
    p.add_argument(
        "name", nargs="?", metavar="NAME", help="custom only: the button's name (CUSTOM_BUTTON_2)"
    )
    p.add_argument(
        "--token", metavar="T", help="play only: the chosen item's token (PlayCommandIssued)"
    )
    socket_options(p)
    p.set_defaults(func=_press)


def add_volume(commands: Commands) -> None:
    p = commands.add_parser(
        "volume",
        help="show or set the output volume: volume [0-100|up|down]",
        description="Without VALUE, print the volume; with 0-100, up or down (10 at a time), "
        "set it on the running daemon. The volume is kept across restarts; Mute/Unmute from the "
        "cloud still work on top of it.",
    )
    p.add_argument("value", nargs="?", metavar="VALUE", help="0-100, up or down")
    socket_options(p)
    p.set_defaults(func=_volume)


def add_dialog(commands: Commands) -> None:
    p = commands.add_parser(
        "dialog",
        help="announce a new voice dialog (its dialogRequestId): barge-in",
        description="Tell the running daemon that the speaker's voice component started a new "
        "dialog with this dialogRequestId. Directives that still arrive for the dialog it "
        "replaces are dropped (and logged); every other id, the cloud's included, is handled.",
    )
    p.add_argument("id", metavar="ID", help="the new dialog's dialogRequestId")
    socket_options(p)
    p.set_defaults(func=_dialog)
