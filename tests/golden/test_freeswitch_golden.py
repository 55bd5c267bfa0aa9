"""The FreeSWITCH files the project's examples and bindings compile to, against the golden
copies in tests/golden/freeswitch/ (`python scripts/regen_golden.py` rewrites them; review
the diff: it is what an installed switch would read)."""

from __future__ import annotations

from tests.golden.cases import GOLDEN_FS, freeswitch_texts


def test_freeswitch_files_match_the_golden_copies() -> None:
    got = freeswitch_texts()
    golden = {
        p.relative_to(GOLDEN_FS).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(GOLDEN_FS.rglob("*"))
        if p.is_file()
    }
    assert sorted(got) == sorted(golden)
    for rel, text in got.items():
        assert text == golden[rel], f"{rel} differs: python scripts/regen_golden.py"
    # what the stock-switch fixes put there (live findings X1-X4)
    assert "dev/dialplan/public/flowc.xml" in got
    assert "dev/autoload_configs/flowc/voicemail_profile.xml" in got
    assert "<context" not in got["dev/dialplan/public/flowc.xml"]
    assert "$${hold_music}" not in got["dev/autoload_configs/callcenter.conf.xml"]
