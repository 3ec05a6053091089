from __future__ import annotations

from typing import Any

import pytest

from clova_client.cic.user_agent import UserAgent, UserAgentError, parse_user_agent

GOOD: dict[str, Any] = {
    "maker": "Acme",
    "product": "Speaker",
    "version": "1.2.3",
    "os_name": "Raspbian",
    "os_version": "11",
    "hardware": "Raspberry Pi 3B",
    "extras": {"key": "value", "lang": "ko"},
}


def test_renders_the_documented_grammar() -> None:
    ua = UserAgent(**GOOD)
    assert str(ua) == "Acme/Speaker/1.2.3 (Raspbian 11;Raspberry Pi 3B;key=value;lang=ko)"
    assert str(UserAgent("M", "P", "1.0.1", "OS", "1.0", "Hardware", {"key": "value"})) == (
        "M/P/1.0.1 (OS 1.0;Hardware;key=value)"
    )
    assert str(UserAgent("M", "P", "1.0.1", "OS", "1.0", "HW")) == "M/P/1.0.1 (OS 1.0;HW)"


@pytest.mark.parametrize(
    ("part", "value"),
    [
        ("maker", "Ac/me"),
        ("maker", ""),
        ("product", "Spea ker"),
        ("version", "1.2"),
        ("version", "v1.2.3"),
        ("os_name", "Raspbian GNU"),
        ("os_version", "11;x"),
        ("hardware", "Pi (3B)"),
        ("hardware", " Pi"),
    ],
)
def test_bad_part_is_named_in_the_error(part: str, value: str) -> None:
    with pytest.raises(UserAgentError, match=rf"User-Agent part {part} is invalid"):
        UserAgent(**{**GOOD, part: value})


@pytest.mark.parametrize(
    ("extras", "named"), [({"k y": "v"}, "extras key"), ({"k": "v;w"}, r"extras\[k\]")]
)
def test_bad_extra_is_named(extras: dict[str, str], named: str) -> None:
    with pytest.raises(UserAgentError, match=named):
        UserAgent(**{**GOOD, "extras": extras})


def test_parse_round_trip_and_errors() -> None:
    text = "Acme/Speaker/1.2.3 (Raspbian 11;Raspberry Pi 3B;key=value)"
    assert str(parse_user_agent(text)) == text
    with pytest.raises(UserAgentError, match="does not match"):
        parse_user_agent("Acme Speaker")
    with pytest.raises(UserAgentError, match="not key=value"):
        parse_user_agent("Acme/Speaker/1.2.3 (Raspbian 11;Pi;novalue)")
    with pytest.raises(UserAgentError, match="part version"):
        parse_user_agent("Acme/Speaker/1.2 (Raspbian 11;Pi)")
