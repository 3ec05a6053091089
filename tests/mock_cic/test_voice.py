"""SpeechRecognizer.Recognize against the real mock over loopback HTTP/2: the body streams,
StopCapture comes on the downchannel while it does, the answer when it ends."""

from __future__ import annotations

import asyncio

import aiohttp
import httpx
import pytest

from clova_client.mock_cic import MockCicServer
from clova_client.protocol import parse_directive

from .h2probe import H2Probe
from .helpers import UA, DownchannelReader, client_for
from .voice_helpers import (
    AUDIO,
    PIECE,
    RecognizeBody,
    directives,
    mp3_seconds,
    names,
    pieces,
    post_streamed,
    recognize,
    send_recognize,
)


async def test_stop_capture_comes_on_the_downchannel_after_1500_ms_while_the_audio_streams(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    stopped = asyncio.Event()
    sent: list[int] = []
    body = RecognizeBody(recognize("dialog-stop"))
    chunks = pieces(body, 100, pause=0.005, until=stopped.is_set, sent=sent)
    posting = asyncio.create_task(post_streamed(cic, "token-a", body.content_type, chunks))

    part = await online.next_part()
    assert part is not None and not posting.done()  # the body is still open
    stopped.set()
    stop = part.json()["directive"]
    assert stop["header"]["name"] == "StopCapture"
    assert stop["header"]["dialogRequestId"] == "dialog-stop"
    assert stop["payload"] == {}
    parse_directive(part.body)  # the model the daemon uses reads it
    assert sent[-1] >= 48000

    status, parts, _ = await posting
    assert status == 200
    assert names(parts) == ["SpeechSynthesizer.Speak", "attachment", "AudioPlayer.Play"]
    (answered,) = server.voice.answered
    # StopCapture went when the 48,000th byte (1,500 ms) had arrived, with the piece it was in
    assert answered.stop_capture_bytes is not None
    assert 48000 <= answered.stop_capture_bytes < 48000 + PIECE
    assert answered.audio_bytes == sent[-1] and len(sent) < 100


async def test_the_default_answer_speaks_an_mp3_then_plays_the_mocks_track(
    server: MockCicServer,
    cic: httpx.AsyncClient,
    online: DownchannelReader,
    session: aiohttp.ClientSession,
) -> None:
    status, parts, _ = await send_recognize(cic, recognize("dialog-1"), 10)
    assert status == 200
    speak, play = directives(parts)
    assert [d["header"]["dialogRequestId"] for d in (speak, play)] == ["dialog-1"] * 2
    payload = speak["payload"]
    assert payload["format"] == "AUDIO_MPEG" and payload["ttsLang"] == "en"
    assert payload["url"] == f"cid:{payload['token']}"
    attachment = parts[1]
    assert attachment.content_id == payload["token"]
    assert attachment.content_type == "application/octet-stream"
    assert 1.2 < mp3_seconds(attachment.body) < 3.0  # "Here is your music", spoken
    for part in parts:
        if part.content_id is None:
            parse_directive(part.body)
    stream = play["payload"]["audioItem"]["stream"]
    assert stream["url"] == f"{server.control_url}/voice/track.mp3" and stream["urlPlayable"]
    async with session.get(stream["url"]) as response:
        assert response.status == 200
        assert 3.5 < mp3_seconds(await response.read()) < 4.5
    stop = await online.next_part()
    assert stop is not None and stop.json()["directive"]["header"]["name"] == "StopCapture"


async def test_every_audio_piece_is_recorded_with_its_arrival_time(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    body = RecognizeBody(recognize())
    chunks = pieces(body, 5, pause=0.01)
    status, _, _ = await post_streamed(cic, "token-a", body.content_type, chunks)
    assert status == 200
    (event,) = server.events("dev-a", "SpeechRecognizer.Recognize")
    assert event.audio is not None and len(event.audio) == 5 * PIECE
    sizes = [size for _, size in event.audio_arrivals]
    times = [at for at, _ in event.audio_arrivals]
    assert sum(sizes) == 5 * PIECE and len(sizes) >= 5 and times == sorted(times)
    assert times[-1] <= event.received_at
    (listed,) = [e.to_json() for e in server.events("dev-a")]
    assert listed["audio_arrivals"] == [[at, size] for at, size in event.audio_arrivals]


async def test_stop_capture_waits_for_the_scripted_amount_and_carries_the_recognized_text(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    server.voice.script.update(
        {
            "answers": [
                {
                    "stop_capture_after_ms": 400,
                    "keep_recording_after_ms": 200,
                    "recognized_text": "play some music",
                    "speak": [],
                    "then": None,
                }
            ]
        }
    )
    stopped = asyncio.Event()
    body = RecognizeBody(recognize("dialog-2"))
    posting = asyncio.create_task(
        post_streamed(cic, "token-a", body.content_type, pieces(body, 20, until=stopped.is_set))
    )
    keep, stop = await online.next_part(), await online.next_part()
    stopped.set()
    assert keep is not None and stop is not None
    assert keep.json()["directive"]["header"]["name"] == "KeepRecording"
    assert stop.json()["directive"]["payload"] == {"recognizedText": "play some music"}
    status, _, _ = await posting
    assert status == 204  # nothing to speak, nothing after
    (answered,) = server.voice.answered
    assert answered.stop_capture_bytes is not None
    assert 400 * 32 <= answered.stop_capture_bytes < 400 * 32 + PIECE


async def test_a_null_stop_capture_leaves_the_end_to_the_client(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    server.voice.script.update({"answers": [{"stop_capture_after_ms": None, "then": None}]})
    status, parts, _ = await send_recognize(cic, recognize(), 12)  # 2.4 s of audio
    assert status == 200 and names(parts) == ["SpeechSynthesizer.Speak", "attachment"]
    marker = {"directive": {"header": {"namespace": "T", "name": "Marker"}, "payload": {}}}
    await server.push("dev-a", marker)
    nxt = await online.next_part()
    assert nxt is not None and nxt.json()["directive"]["header"]["name"] == "Marker"


async def test_expect_speech_opens_a_second_turn_whose_speech_id_is_checked(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    server.voice.script.update(
        {
            "answers": [
                {"speak": "Which song?", "then": {"expect_speech": {"timeout_ms": 5000}}},
                {"speak": [{"tone_ms": 300}], "then": None},
            ]
        }
    )
    status, parts, _ = await send_recognize(cic, recognize("dialog-3"))
    assert status == 200
    assert names(parts) == [
        "SpeechSynthesizer.Speak",
        "attachment",
        "SpeechRecognizer.ExpectSpeech",
    ]
    expect = directives(parts)[-1]
    assert expect["header"]["dialogRequestId"] == "dialog-3"
    assert expect["payload"]["explicit"] is True
    assert expect["payload"]["timeoutInMilliseconds"] == 5000
    speech_id = expect["payload"]["expectSpeechId"]

    status, _, response = await send_recognize(cic, recognize("dialog-3", speechId="nope"))
    assert status == 400 and "speechId 'nope'" in response.json()["error"]
    status, _, response = await send_recognize(cic, recognize("other", speechId=speech_id))
    assert status == 400 and "belongs to dialog 'dialog-3'" in response.json()["error"]

    second = recognize("dialog-3", "rec-2", speechId=speech_id, explicit=True)
    status, parts, _ = await send_recognize(cic, second)
    assert status == 200 and names(parts) == ["SpeechSynthesizer.Speak", "attachment"]
    assert 0.2 < mp3_seconds(parts[1].body) < 0.5  # the scripted 300 ms tone
    status, _, response = await send_recognize(cic, second)  # that turn is taken
    assert status == 400 and "answers no ExpectSpeech" in response.json()["error"]


async def test_recognizes_cic_refuses_are_400s_recorded_as_rejections(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    cases = [
        (recognize(), {"audio_part": False}, "without an 'audio' part"),
        (recognize(format="AUDIO_L16_RATE_8000_CHANNELS_1"), {}, "event.payload.format"),
        (recognize(), {"piece": b"\x01\x02\x03"}, "odd count"),
        (recognize(speechId="never-sent"), {}, "answers no ExpectSpeech"),
    ]
    for message, options, text in cases:
        status, _, response = await send_recognize(cic, message, **options)  # type: ignore[arg-type]
        assert status == 400, text
        assert text in response.json()["error"]
    rejected = server.device("dev-a").rejected_events
    assert [r["status"] for r in rejected] == [400] * 4
    assert server.events("dev-a") == [] and server.voice.answered == []
    # none of them got a StopCapture: the next directive on the downchannel is the marker
    marker = {"directive": {"header": {"namespace": "T", "name": "Marker"}, "payload": {}}}
    await server.push("dev-a", marker)
    nxt = await online.next_part()
    assert nxt is not None and nxt.json()["directive"]["header"]["name"] == "Marker"


async def test_recognize_on_another_connection_is_412(
    server: MockCicServer, online: DownchannelReader
) -> None:
    async with client_for(server) as other:
        status, _, response = await send_recognize(other, recognize())
    assert status == 412
    assert response.json()["directive"]["payload"]["code"] == 412
    assert server.device("dev-a").rejected_events[0]["status"] == 412


async def test_scripted_answers_are_used_in_order_and_a_refused_recognize_uses_none(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    server.voice.script.update(
        {
            "answers": [
                {"speak": [{"tone_ms": 200}], "then": None},
                {"speak": [{"tone_ms": 200}, {"tone_ms": 200}], "then": None},
            ],
            "default": {"speak": [], "then": {"play": {"url": "http://example.test/a.mp3"}}},
        }
    )
    await send_recognize(cic, recognize(), audio_part=False)  # refused: takes nothing
    got = []
    for dialog in ("a", "b", "c"):
        status, parts, _ = await send_recognize(cic, recognize(dialog))
        assert status == 200
        got.append(names(parts))
    speak = ["SpeechSynthesizer.Speak", "attachment"]
    assert got == [speak, speak * 2, ["AudioPlayer.Play"]]
    assert [r.dialog_request_id for r in server.voice.answered] == ["a", "b", "c"]
    assert [r.scripted for r in server.voice.answered] == [True, True, False]


async def test_speak_by_url_hls_a_missing_attachment_and_one_placed_before(
    server: MockCicServer,
    cic: httpx.AsyncClient,
    online: DownchannelReader,
    session: aiohttp.ClientSession,
) -> None:
    server.voice.script.update(
        {
            "answers": [
                {
                    "speak": [
                        {"tone_ms": 400, "via": "url", "pause_before_ms": 250},
                        {"tone_ms": 2500, "via": "hls"},
                        {"tone_ms": 400, "via": "url", "url_status": 404},
                        {"tone_ms": 400, "attachment": "missing"},
                        {"tone_ms": 400, "attachment": "before"},
                    ],
                    "then": None,
                }
            ]
        }
    )
    status, parts, _ = await send_recognize(cic, recognize())
    assert status == 200
    speak = "SpeechSynthesizer.Speak"
    assert names(parts) == [speak, speak, speak, speak, "attachment", speak]
    by_url, hls, broken, missing, before = (d["payload"] for d in directives(parts))
    assert by_url["x-clova-pause-before"] == 250 and "x-clova-pause-before" not in hls
    async with session.get(by_url["url"]) as response:
        assert response.status == 200 and 0.3 < mp3_seconds(await response.read()) < 0.6
    assert hls["contentType"] == "application/vnd.apple.mpegurl"
    async with session.get(hls["url"]) as response:
        playlist = await response.text()
    segments = [line for line in playlist.splitlines() if line.endswith(".ts")]
    assert response.status == 200 and "#EXT-X-ENDLIST" in playlist and len(segments) >= 2
    async with session.get(hls["url"].rsplit("/", 1)[0] + "/" + segments[0]) as response:
        assert response.status == 200 and (await response.read())[:1] == b"\x47"  # MPEG-TS
    async with session.get(broken["url"]) as response:
        assert response.status == 404
    assert missing["url"].startswith("cid:")
    assert all(p.content_id != missing["url"][4:] for p in parts)
    assert parts[4].content_id == before["url"][4:]


async def test_late_directives_follow_on_the_downchannel_with_the_dialogs_id(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    late_directive = {"directive": {"header": {"namespace": "T", "name": "Late"}, "payload": {}}}
    server.voice.script.update(
        {
            "answers": [
                {
                    "stop_capture_after_ms": None,
                    "speak": [],
                    "then": None,
                    "late": [
                        {"after_ms": 0, "directive": late_directive},
                        {"after_ms": 50, "speak": {"tone_ms": 200}},
                    ],
                }
            ]
        }
    )
    status, _, _ = await send_recognize(cic, recognize("dialog-late"))
    assert status == 204
    first = await online.next_part()
    assert first is not None
    assert first.json()["directive"]["header"]["name"] == "Late"
    assert first.json()["directive"]["header"]["dialogRequestId"] == "dialog-late"
    attachment, speak = await online.next_part(), await online.next_part()
    assert attachment is not None and speak is not None
    payload = speak.json()["directive"]["payload"]
    assert payload["url"] == f"cid:{attachment.content_id}"
    assert speak.json()["directive"]["header"]["dialogRequestId"] == "dialog-late"


async def test_without_espeak_the_answer_speaks_a_tone(
    server: MockCicServer, cic: httpx.AsyncClient, online: DownchannelReader
) -> None:
    server.voice.audio.espeak = None
    status, parts, _ = await send_recognize(cic, recognize())
    assert status == 200 and names(parts)[:2] == ["SpeechSynthesizer.Speak", "attachment"]
    assert 1.3 < mp3_seconds(parts[1].body) < 1.7  # the 1.5 s fallback tone


async def test_a_client_that_resets_mid_audio_leaves_its_answer_for_the_next(
    server: MockCicServer,
) -> None:
    server.voice.script.update({"answers": [{"speak": [{"tone_ms": 200}], "then": None}]})
    assert server.ca_file is not None
    async with H2Probe(server.host, server.port, server.ca_file) as probe:
        down = probe.get("/v1/directives", "token-b")
        await server.wait_downchannel("dev-b")
        body = RecognizeBody(recognize("gone"))
        stream = probe.h2.get_next_available_stream_id()
        fields = [
            (":method", "POST"),
            (":path", "/v1/events"),
            (":scheme", "https"),
            (":authority", f"{server.host}:{server.port}"),
            ("authorization", "Bearer token-b"),
            ("user-agent", UA),
            ("content-type", body.content_type),
        ]
        probe.h2.send_headers(stream, fields)
        probe.h2.send_data(stream, body.head)
        for _ in range(8):  # 1.6 s: StopCapture is due
            probe.h2.send_data(stream, AUDIO)
        probe._flush()
        async with asyncio.timeout(5):
            while not any(b"StopCapture" in d for _, sid, d in probe.log if sid == down):  # noqa: ASYNC110 - the probe's log, polled
                await asyncio.sleep(0.01)
        probe.reset(stream)  # the speaker gives up on this Recognize
        async with asyncio.timeout(5):
            while not server.voice.script.queue:  # noqa: ASYNC110 - the mock's state, polled
                await asyncio.sleep(0.01)
    assert server.events("dev-b") == [] and server.voice.answered == []


async def test_without_ffmpeg_the_recognize_is_recorded_and_answered_500(
    server: MockCicServer,
    cic: httpx.AsyncClient,
    online: DownchannelReader,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    status, _, response = await send_recognize(cic, recognize("dialog-500"))
    assert status == 500
    assert (
        "could not make the answer's audio"
        in response.json()["directive"]["payload"]["description"]
    )
    assert [e.name for e in server.events("dev-a")] == ["SpeechRecognizer.Recognize"]
    assert [r.status for r in server.voice.answered] == [500]
