"""Generate the placeholder audio prompts used by the example flows.

The example flows reference recorded prompts as `{audio: sounds/<name>.wav}`. Real deployments
replace these with studio recordings; for the repository we ship short, valid WAV files of
silence so that `flowc check` (which verifies audio files exist) and the simulator work out of
the box. FreeSWITCH plays 8 kHz / 16-bit / mono PCM natively, so that is what we write.

Usage: python scripts/make_sounds.py [--out examples/sounds]
The output is deterministic (same bytes every run), so regenerating never shows up as a diff.
"""

from __future__ import annotations

import argparse
import wave
from pathlib import Path

RATE = 8000  # Hz: narrow-band telephony, what the PSTN carries anyway
WIDTH = 2  # bytes per sample: 16-bit signed PCM

# name -> duration in seconds (roughly the length of the real recording it stands in for)
SOUNDS: dict[str, float] = {
    "hotline_welcome.wav": 3.0,  # 您好，欢迎致电市民服务热线 ...
    "typhoon_closure.wav": 4.0,  # 台风停工通告
    "holiday_closed.wav": 3.0,  # 节假日休息通告
    "after_hours.wav": 3.0,  # 非工作时间通告
    "privacy_notice.wav": 2.0,  # 通话录音提示
    "chime.wav": 0.5,  # 转人工前的提示音
}


def write_silence(path: Path, seconds: float) -> None:
    frames = int(RATE * seconds)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(WIDTH)
        w.setframerate(RATE)
        w.writeframes(b"\x00" * (frames * WIDTH))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = Path(__file__).resolve().parent.parent
    parser.add_argument("--out", type=Path, default=root / "examples" / "sounds")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, seconds in SOUNDS.items():
        write_silence(args.out / name, seconds)
        print(f"wrote {args.out / name} ({seconds:g}s)")


if __name__ == "__main__":
    main()
