"""Regenerate the demo's bundled audio: three short chimes (WAV, MP3, Ogg). Needs lame, oggenc."""

import math
import random
import subprocess
import wave
from pathlib import Path

RATE = 22050
HERE = Path(__file__).parent


def chime(path: Path, notes: list[float], seconds: float) -> None:
    rng = random.Random(7)
    frames = bytearray()
    per_note = int(RATE * seconds / len(notes))
    for freq in notes:
        for i in range(per_note):
            fade = math.exp(-3.0 * i / per_note)
            sample = 0.5 * fade * math.sin(2 * math.pi * freq * i / RATE)
            sample += 0.01 * (rng.random() - 0.5)  # a little noise keeps Ogg seekable
            frames += int(sample * 32767).to_bytes(2, "little", signed=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))


def main() -> None:
    chime(HERE / "track1.wav", [523.25, 659.25, 783.99, 1046.5], 4.0)
    chime(HERE / "t2.wav", [392.0, 493.88, 587.33], 3.0)
    chime(HERE / "t3.wav", [440.0, 554.37, 659.25], 3.0)
    subprocess.run(
        ["lame", "--quiet", "-b", "48", HERE / "t2.wav", HERE / "track2.mp3"], check=True
    )
    subprocess.run(
        ["oggenc", "--quiet", "-q", "1", "-o", HERE / "track3.ogg", HERE / "t3.wav"], check=True
    )
    for tmp in ("t2.wav", "t3.wav"):
        (HERE / tmp).unlink()


if __name__ == "__main__":
    main()
