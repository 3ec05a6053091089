from __future__ import annotations

import asyncio

import pytest
import structlog

from clova_client.player.serial import SerialRunner


async def test_jobs_run_one_at_a_time_in_order() -> None:
    runner = SerialRunner("t")
    trace: list[str] = []

    async def job(name: str) -> str:
        trace.append(f"{name}>")
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        trace.append(f"<{name}")
        return name

    results = await asyncio.gather(runner.run(lambda: job("a")), runner.run(lambda: job("b")))
    runner.post(lambda: job("c"))
    await runner.wait_idle()
    assert list(results) == ["a", "b"]
    assert trace == ["a>", "<a", "b>", "<b", "c>", "<c"]
    await runner.close()


async def test_a_failing_job_reaches_its_caller_and_the_runner_goes_on() -> None:
    runner = SerialRunner("t")

    async def boom() -> None:
        raise ValueError("boom")

    async def fine() -> int:
        return 1

    with pytest.raises(ValueError):
        await runner.run(boom)
    runner.post(boom)  # logged, not raised
    assert await runner.run(fine) == 1
    await runner.close()


async def test_a_job_may_call_run_without_deadlocking() -> None:
    runner = SerialRunner("t")

    async def inner() -> int:
        return 2

    async def outer() -> int:
        return await runner.run(inner) + 1

    assert await runner.run(outer) == 3
    await runner.close()


async def test_closed_runner_refuses_work() -> None:
    runner = SerialRunner("t")
    await runner.close()

    async def job() -> None:
        return None

    with pytest.raises(RuntimeError):
        await runner.run(job)


async def test_each_job_logs_with_the_fields_of_whoever_queued_it() -> None:
    """The runner's task starts inside the first directive's bound log fields; later jobs must
    not inherit them (a technician would read the first directive's messageId on every line)."""
    runner = SerialRunner("t")
    seen: list[object] = []

    async def job() -> None:
        seen.append(structlog.contextvars.get_contextvars().get("message_id"))

    with structlog.contextvars.bound_contextvars(message_id="first"):
        await runner.run(job)
    with structlog.contextvars.bound_contextvars(message_id="second"):
        await runner.run(job)
        runner.post(job)
    runner.post(job)  # from a callback with no directive: no messageId
    await runner.wait_idle()
    assert seen == ["first", "second", "second", None]
    await runner.close()
