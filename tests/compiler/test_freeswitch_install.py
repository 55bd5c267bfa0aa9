"""The generated FreeSWITCH files installed the way the README says, read back the way
FreeSWITCH reads them: its pre-processor resolves includes and the emulator's
mod_dialplan_xml hunts the result.

The stock files are small stand-ins written for these tests, holding what matters of
FreeSWITCH 1.10.12's vanilla configuration (conf/vanilla in signalwire/freeswitch):
freeswitch.xml includes `dialplan/*.xml` inside its dialplan section; dialplan/public.xml
holds context `public` with `public_extensions` (`^(10[01][0-9])$`, transfer to default)
before `<X-PRE-PROCESS cmd="include" data="public/*.xml"/>`; voicemail.conf.xml has a
profile `default`.
"""

from __future__ import annotations

import glob
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowc.cli.main import app
from flowc.compiler import freeswitch as fs
from runtime.emulator.dialplan import Dialplan

ROOT = Path(__file__).resolve().parents[2]

FLOW = """\
flow: care
queues:
  billing: {skill: billing}
  vip: {skill: vip, moh: "local_stream://vip"}
  quiet: {skill: quiet}
mailboxes: {general: {}}
nodes:
  start: {queue: billing, max_wait: 2m, on_timeout: vip_queue, on_no_agent: message}
  vip_queue: {queue: vip, max_wait: 150500ms, on_timeout: again}
  again: {queue: billing, max_wait: 3m}
  quiet_queue: {queue: quiet}
  message: {voicemail: general, max_length: 90s}
"""
BINDINGS = """\
environment: dev
runtime: ["127.0.0.1:8084"]
%s
flows:
  care: {dids: ["8001", "1005"]}
queues:
  care.billing: billing@default
  care.vip: vip@default
  care.quiet: quiet@default
mailboxes:
  care.general: "127.0.0.1/1000"
"""

STOCK_FREESWITCH_XML = """\
<?xml version="1.0"?>
<document type="freeswitch/xml">
  <section name="dialplan" description="Regex/XML Dialplan">
    <X-PRE-PROCESS cmd="include" data="dialplan/*.xml"/>
  </section>
</document>
"""
STOCK_PUBLIC_XML = """\
<include>
  <context name="public">
    <extension name="outside_call" continue="true">
      <condition>
        <action application="set" data="outside_call=true"/>
      </condition>
    </extension>
    <extension name="public_extensions">
      <condition field="destination_number" expression="^(10[01][0-9])$">
        <action application="transfer" data="$1 XML default"/>
      </condition>
    </extension>
    <X-PRE-PROCESS cmd="include" data="public/*.xml"/>
  </context>
</include>
"""
STOCK_VOICEMAIL_CONF = """\
<configuration name="voicemail.conf" description="Voicemail">
  <profiles>
    <profile name="default">
      %s
      <param name="file-extension" value="wav"/>
    </profile>
  </profiles>
</configuration>
"""
INCLUDE = re.compile(r'<X-PRE-PROCESS\s+cmd="include"\s+data="([^"]*)"\s*/>')


def preprocess(file: Path) -> str:
    """FreeSWITCH's pre-processor (switch_xml.c 1.10.12, `preprocess`/`preprocess_glob`) for
    includes: a relative pattern is joined to the folder of the file that holds the include
    (l. 1389), its matches are pasted in glob order, each preprocessed from its own folder,
    and lines holding `<include>`, `</include>` or `<?` are dropped. No match is an error
    here (FreeSWITCH logs `No files to include at <pattern>`, l. 1398, and goes on)."""
    out: list[str] = []
    for line in file.read_text(encoding="utf-8").splitlines():
        if "<include>" in line or "</include>" in line or "<?" in line:
            continue
        found = INCLUDE.search(line)
        if found is None:
            out.append(line)
            continue
        pattern = found.group(1)
        if not pattern.startswith("/"):
            pattern = f"{file.parent}/{pattern}"
        matches = sorted(glob.glob(pattern))
        if not matches:
            raise AssertionError(f"No files to include at {pattern}")
        out.extend(preprocess(Path(m)) for m in matches)
    return "\n".join(out)


def compile_dev(tmp_path: Path, hold_music: str = "") -> tuple[Path, str]:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "care.yaml").write_text(FLOW, encoding="utf-8")
    (tmp_path / "bindings").mkdir()
    bindings = BINDINGS % (f'hold_music: "{hold_music}"' if hold_music else "")
    (tmp_path / "bindings" / "dev.yaml").write_text(bindings, encoding="utf-8")
    out = tmp_path / "build"
    args = ["compile", str(tmp_path / "flows"), str(tmp_path / "bindings"), "-o", str(out)]
    r = CliRunner().invoke(app, [*args, "--target", "freeswitch"])
    assert r.exit_code == 0, r.output
    return out / "freeswitch" / "dev", r.output


def stock_conf(tmp_path: Path, vm_include: str = "") -> Path:
    conf = tmp_path / "conf"
    (conf / "dialplan" / "public").mkdir(parents=True)
    (conf / "autoload_configs").mkdir()
    (conf / "freeswitch.xml").write_text(STOCK_FREESWITCH_XML, encoding="utf-8")
    (conf / "dialplan" / "public.xml").write_text(STOCK_PUBLIC_XML, encoding="utf-8")
    vm = STOCK_VOICEMAIL_CONF % vm_include
    (conf / "autoload_configs" / "voicemail.conf.xml").write_text(vm, encoding="utf-8")
    return conf


def install(build: Path, conf: Path) -> None:
    """README step 1: `cp -r build/freeswitch/dev/dialplan build/.../autoload_configs <conf>/`."""
    for folder in ("dialplan", "autoload_configs"):
        shutil.copytree(build / folder, conf / folder, dirs_exist_ok=True)


def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def test_dids_join_the_stock_public_context_without_shadowing_it(tmp_path: Path) -> None:
    build, output = compile_dev(tmp_path)
    conf = stock_conf(tmp_path)
    install(build, conf)
    plan = Dialplan.parse(preprocess(conf / "freeswitch.xml"), "freeswitch.xml")
    assert sorted(plan.contexts) == ["flowc", "public"]

    def hunt(did: str) -> tuple[str | None, list[tuple[str, str]]]:
        found = plan.hunt("public", did, lambda f: did if f == "destination_number" else None,
                          lambda v: None)  # fmt: skip
        return found.extension, [(a.app, a.data) for a in found.actions]

    # the switch's own public number still routes (live finding X2: NO_ROUTE_DESTINATION)
    assert hunt("1010") == (
        "outside_call",
        [("set", "outside_call=true"), ("transfer", "1010 XML default")],
    )
    assert hunt("8001") == (
        "outside_call",
        [
            ("set", "outside_call=true"),
            ("set", "flowc_flow=care"),
            ("set", "flowc_did=${destination_number}"),
            ("set", "flowc_env=dev"),
            ("answer", ""),
            ("transfer", "flowc_try_1 XML flowc"),
        ],
    )
    # 1005 is bound, but the stock public_extensions comes first: compile says so
    assert hunt("1005")[1][-1] == ("transfer", "1005 XML default")
    assert "note: dev: DID 1005 of care is taken by the stock public context's " in output
    assert "`public_extensions`" in output and "DID 8001" not in output


def test_the_emulator_loads_the_generated_dialplan_folder(tmp_path: Path) -> None:
    build, _ = compile_dev(tmp_path)
    plan = Dialplan.load(build / "dialplan")
    assert sorted(plan.contexts) == ["flowc", "public"]
    assert [e.name for e in plan.contexts["public"]] == ["flowc_care"]
    assert plan.contexts["flowc"][0].name == "flowc_try_1"
    assert "socket" in plan.applications()


def test_voicemail_fragment_is_found_where_the_readme_puts_it(tmp_path: Path) -> None:
    build, output = compile_dev(tmp_path)
    text = readme()
    # the README's include line and where it says the fragment goes
    assert fs.VOICEMAIL_INCLUDE_LINE in text
    assert "`<conf>/autoload_configs/flowc/voicemail_profile.xml`" in text
    assert fs.VOICEMAIL_INCLUDE_LINE in output
    conf = stock_conf(tmp_path, vm_include=fs.VOICEMAIL_INCLUDE_LINE)
    install(build, conf)
    assert (conf / "autoload_configs" / "flowc" / "voicemail_profile.xml").is_file()
    profile = ET.fromstring(preprocess(conf / "autoload_configs" / "voicemail.conf.xml"))
    params = {p.get("name"): p.get("value") for p in profile.iter("param")}
    assert params == {"max-record-len": "90", "file-extension": "wav"}


def test_the_old_location_of_the_fragment_is_not_found(tmp_path: Path) -> None:
    """Live finding X1: `<conf>/flowc/` is not where an include in voicemail.conf.xml looks."""
    build, _ = compile_dev(tmp_path)
    conf = stock_conf(tmp_path, vm_include=fs.VOICEMAIL_INCLUDE_LINE)
    (conf / "flowc").mkdir()
    shutil.copy(build / fs.VOICEMAIL_FRAGMENT, conf / "flowc" / "voicemail_profile.xml")
    where = re.escape(str(conf / "autoload_configs" / "flowc" / "voicemail_profile.xml"))
    with pytest.raises(AssertionError, match=f"No files to include at {where}"):
        preprocess(conf / "autoload_configs" / "voicemail.conf.xml")


def queues(build: Path) -> dict[str, dict[str, str]]:
    conf = ET.parse(build / "autoload_configs" / "callcenter.conf.xml").getroot()
    return {
        str(q.get("name")): {str(p.get("name")): str(p.get("value")) for p in q.iter("param")}
        for q in conf.iter("queue")
    }


def test_hold_music_default_needs_no_module_a_stock_switch_lacks(tmp_path: Path) -> None:
    build, _ = compile_dev(tmp_path)
    moh = {name: q["moh-sound"] for name, q in queues(build).items()}
    # live capture T06a: $${hold_music} is local_stream://moh, unplayable without the module
    assert moh == {
        "billing@default": "tone_stream://%(400,2600,440);loops=-1",
        "quiet@default": "tone_stream://%(400,2600,440);loops=-1",
        "vip@default": "local_stream://vip",  # the flow's own queue `moh` wins
    }
    assert "hold_music" not in (build / "autoload_configs" / "callcenter.conf.xml").read_text()


def test_hold_music_comes_from_the_binding(tmp_path: Path) -> None:
    build, _ = compile_dev(tmp_path, hold_music="/srv/sounds/hold & wait.wav")
    assert queues(build)["billing@default"]["moh-sound"] == "/srv/sounds/hold & wait.wav"
    assert "hold &amp; wait" in (build / "autoload_configs" / "callcenter.conf.xml").read_text()


def test_queue_wait_limits_follow_the_queue_nodes(tmp_path: Path) -> None:
    build, output = compile_dev(tmp_path)
    limits = {
        name: (q["max-wait-time"], q["max-wait-time-with-no-agent"],
               q["max-wait-time-with-no-agent-time-reached"])
        for name, q in queues(build).items()
    }  # fmt: skip
    assert limits == {
        # start (2m) and again (3m): the longest wait plus the backstop margin; a caller
        # leaves once nobody has been logged in for 5 s (at once if nobody is as they join)
        "billing@default": ("210", "5", "0"),
        # 150.5 s rounded up
        "vip@default": ("181", "5", "0"),
        # a node without max_wait: mod_callcenter never times the caller out
        "quiet@default": ("0", "5", "0"),
    }
    # the nodes whose no_agent outcome is the flow's default hang-up
    assert (
        "note: dev: queue billing@default: 1 queue node(s) have no on_no_agent: when nobody "
        "is logged in to the queue their callers are hung up, as `flowc simulate` predicts "
        "for no_agent (care.again)"
    ) in output
    assert "queue vip@default: 1 queue node(s) have no on_no_agent" in output
    assert "queue quiet@default: 1 queue node(s) have no on_no_agent" in output


def test_queue_timers_without_nodes_keep_callers_waiting() -> None:
    params, notes = fs.queue_timers([])
    assert params == {
        "max-wait-time": "0",
        "max-wait-time-with-no-agent": "0",
        "max-wait-time-with-no-agent-time-reached": "0",
    }
    assert notes == []
    # mod_callcenter reads these with config_int_0_86400 (mod_callcenter.c:578-580)
    params, _ = fs.queue_timers([fs.QueueUse("f.n", 100_000_000, True)])
    assert params["max-wait-time"] == "86400"


def test_hold_music_with_variables_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    """mod_callcenter expands `${...}` in moh-sound for every caller (mod_callcenter.c:3186):
    a flow's queue `moh` with one does not reach the XML (bindings are checked as FL605)."""
    (tmp_path / "flows").mkdir()
    flow = FLOW.replace('moh: "local_stream://vip"', 'moh: "${system(touch /tmp/x)}"')
    (tmp_path / "flows" / "care.yaml").write_text(flow, encoding="utf-8")
    (tmp_path / "bindings").mkdir()
    (tmp_path / "bindings" / "dev.yaml").write_text(BINDINGS % "", encoding="utf-8")
    out = tmp_path / "build"
    args = ["compile", str(tmp_path / "flows"), str(tmp_path / "bindings"), "-o", str(out)]
    r = CliRunner().invoke(app, [*args, "--target", "freeswitch"])
    assert r.exit_code == 1
    assert "error: hold music '${system(touch /tmp/x)}': name the file or stream itself" in (
        r.output
    )
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert not (out / "freeswitch" / "dev" / "autoload_configs" / "callcenter.conf.xml").exists()
