"""Each command does what its help says (issue: the authoring and review tools)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from flowc.cli.main import app

runner = CliRunner()
UNFORMATTED = "flow:   x\nnodes: {start: {hangup: null}}\n"


def test_fmt_diff_prints_the_change_and_writes_nothing(tmp_path: Path) -> None:
    p = tmp_path / "f.yaml"
    p.write_text(UNFORMATTED, encoding="utf-8")
    r = runner.invoke(app, ["fmt", "--diff", str(p)])
    assert r.exit_code == 1
    assert "-flow:   x" in r.output and "+flow: x" in r.output
    assert "1 file(s) would be reformatted" in r.output
    assert p.read_text(encoding="utf-8") == UNFORMATTED
    runner.invoke(app, ["fmt", str(p)])
    r = runner.invoke(app, ["fmt", "--diff", str(p)])
    assert r.exit_code == 0 and "0 file(s) would be reformatted" in r.output


QUEUE_FLOW = """flow: q
nodes:
  start: {queue: tech, max_wait: %s, on_timeout: bye}
  bye: {hangup: null}
"""


def test_diff_shows_durations_as_written(tmp_path: Path) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(QUEUE_FLOW % "10m", encoding="utf-8")
    new.write_text(QUEUE_FLOW % "15m", encoding="utf-8")
    for fmt, arrow in (("text", "10m -> 15m"), ("markdown", "| `10m` | `15m` |")):
        r = runner.invoke(app, ["diff", str(old), str(new), "--format", fmt])
        assert arrow in r.output, r.output
        assert "600000" not in r.output


def test_stats_lists_a_flow_kept_in_both_forms_once() -> None:
    import json

    r = runner.invoke(app, ["stats", "examples/", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    names = [row["flow"] for row in rows]
    assert len(names) == len(set(names)), names
    bank = next(row for row in rows if row["flow"] == "bank")
    assert {bank["file"], *bank["also_files"]} == {"examples/bank.yaml", "examples/bank.flow"}


def test_stats_lists_two_different_flows_of_one_name_twice(tmp_path: Path) -> None:
    import json

    (tmp_path / "a.yaml").write_text("flow: a\nnodes:\n  start: {hangup: null}\n", "utf-8")
    two = tmp_path / "two" / "a.yaml"
    two.parent.mkdir()
    two.write_text("flow: a\nnodes:\n  start: {goto: end}\n  end: {hangup: null}\n", "utf-8")
    runner.invoke(app, ["convert", str(two), "--to", "flow", "-o", str(tmp_path / "a.flow")])
    r = runner.invoke(
        app, ["stats", str(tmp_path / "a.yaml"), str(tmp_path / "a.flow"), "-f", "json"]
    )
    rows = json.loads(r.output)
    assert sorted(row["nodes"] for row in rows) == [1, 2], r.output


def test_simulate_refuses_names_the_flow_does_not_have() -> None:
    for option, said in (
        (["--hangup-at", "nosuch_node"], "has no node `nosuch_node`"),
        (["--queue", "nosuchq=timeout"], "has no queue `nosuchq`"),
        (["--mock", "customr=error"], "has no service `customr`; did you mean `customer`?"),
    ):
        r = runner.invoke(app, ["simulate", "examples/bank.yaml", *option, "--press", "1"])
        assert r.exit_code == 2, (option, r.output)
        assert said in r.output, r.output


def test_simulate_says_when_a_look_up_has_no_mock() -> None:
    r = runner.invoke(app, ["simulate", "examples/bank.yaml", "--at", "2026-10-09 10:00"])
    assert "look-up customer: no mock given (--mock customer=...)" in r.output, r.output


SURVEY = """flow: sv
nodes:
  start:
    survey:
      - {id: csat, ask: "Rate us 1 to 5", scale: 1-5, retries: 1}
      - {id: ok, ask: "Resolved? 1 yes 2 no", scale: yes_no}
    next: bye
  bye: {hangup: null}
"""


def test_survey_answers_read_as_people_say_them(tmp_path: Path) -> None:
    p = tmp_path / "sv.yaml"
    p.write_text(SURVEY, encoding="utf-8")
    r = runner.invoke(app, ["simulate", str(p), "--press", "9", "--press", "1"])
    assert "survey `csat`: no valid answer (9 is not on the 1-5 scale)" in r.output, r.output
    assert "survey `ok`: yes" in r.output
    assert "csat=no answer, ok=yes" in r.output
    assert "None" not in r.output and "True" not in r.output


def test_check_and_compile_agree_on_a_folder_without_flows(tmp_path: Path) -> None:
    for command in (["check"], ["compile", "-o", str(tmp_path / "build")]):
        r = runner.invoke(app, [*command, str(tmp_path)])
        assert r.exit_code == 2, (command, r.output)
        assert "no flow files found" in r.output


def test_check_of_a_scenario_file_says_what_it_is() -> None:
    r = runner.invoke(app, ["check", "examples/bank.test.yaml"])
    assert r.exit_code == 2
    assert "flow tests (scenarios), not a flow; run: flowc test examples/bank.test.yaml" in r.output
    assert "FL1" not in r.output


def test_graph_draws_a_flow_with_errors_but_fails(tmp_path: Path) -> None:
    p = tmp_path / "d.yaml"
    p.write_text("flow: d\nnodes:\n  start: {goto: nowhere}\n", encoding="utf-8")
    out = tmp_path / "d.svg"
    r = runner.invoke(app, ["graph", str(p), "-o", str(out)])
    assert r.exit_code == 1
    assert out.read_bytes().startswith(b"<?xml") and "FL201" in r.output
    r = runner.invoke(app, ["graph", str(p)])
    assert r.exit_code == 1 and "digraph" in r.output


def test_help_text_is_never_cut_at_80_columns() -> None:
    from flowc_app import app as full_app
    from flowc_app import register_runtime

    register_runtime()

    commands = [c.name or c.callback.__name__ for c in full_app.registered_commands if c.callback]
    assert "simulate" in commands and "check" in commands
    for name in commands:
        r = runner.invoke(full_app, [name, "--help"], env={"COLUMNS": "80", "TERMINAL_WIDTH": "80"})
        assert r.exit_code == 0, (name, r.output)
        assert max(len(line) for line in r.output.splitlines()) <= 80, name
        assert "…" not in r.output, (name, [ln for ln in r.output.splitlines() if "…" in ln])


def test_a_call_that_ends_inside_a_subflow_module_names_module_dot_node(tmp_path: Path) -> None:
    (tmp_path / "mods").mkdir()
    (tmp_path / "main.yaml").write_text(
        "flow: main\nnodes:\n  start: {subflow: mods/bye.yaml, next: after}\n"
        "  after: {hangup: null}\n",
        "utf-8",
    )
    (tmp_path / "mods" / "bye.yaml").write_text(
        "flow: bye_mod\nreturns: {ok: bool}\nnodes:\n"
        '  start: {play: "Goodbye", next: end}\n  end: {hangup: null}\n',
        "utf-8",
    )
    (tmp_path / "main.test.yaml").write_text(
        "flow: main.yaml\nscenarios:\n  - name: ends inside the module\n    expect:\n"
        "      outcome: {kind: hangup, node: bye_mod.end}\n"
        "      path: [start, bye_mod.start, bye_mod.end]\n",
        "utf-8",
    )
    r = runner.invoke(app, ["test", str(tmp_path / "main.test.yaml")])
    assert r.exit_code == 0, r.output
    assert "1 passed, 0 failed" in r.output


DST_FLOW = """flow: dst
schedules:
  late:
    timezone: America/New_York
    weekly: {mon-sun: "01:00-02:00"}
nodes:
  start: {play: "This message takes about ten seconds to say, so it ends after the change.",
          next: check}
  check: {hours: late, open: inside, closed: outside}
  inside: {hangup: null}
  outside: {hangup: null}
"""


def test_the_simulated_clock_runs_through_a_dst_change(tmp_path: Path) -> None:
    import json

    p = tmp_path / "dst.yaml"
    p.write_text(DST_FLOW, encoding="utf-8")
    # 01:59:55 EDT + ~6 s of prompt = 01:00:01 EST on the night the clocks go back: still open.
    r = runner.invoke(app, ["simulate", str(p), "--at", "2026-11-01 01:59:55", "-f", "json"])
    out = json.loads(r.output)
    assert out["path"] == ["start", "check", "inside"], out["path"]
    assert out["ended_at"].startswith("2026-11-01T01:00:") and out["ended_at"].endswith("-05:00")
    # 01:59:55 EST on the night the clocks jump: the prompt ends at 03:00:0x EDT, never 02:00.
    r = runner.invoke(app, ["simulate", str(p), "--at", "2026-03-08 01:59:55", "-f", "json"])
    out = json.loads(r.output)
    assert out["path"] == ["start", "check", "outside"], out["path"]
    assert out["ended_at"].startswith("2026-03-08T03:00:") and out["ended_at"].endswith("-04:00")


def test_hours_explain_tells_the_two_0130s_apart_and_a_time_that_does_not_exist(
    tmp_path: Path,
) -> None:
    p = tmp_path / "dst.yaml"
    p.write_text(DST_FLOW, encoding="utf-8")
    first = runner.invoke(app, ["hours", "explain", str(p), "late", "--at", "2026-11-01 01:30"])
    assert "(EDT, UTC-0400, Sunday): OPEN" in first.output
    assert "happens twice in America/New_York" in first.output
    second = runner.invoke(
        app, ["hours", "explain", str(p), "late", "--at", "2026-11-01T01:30-05:00"]
    )
    assert "(EST, UTC-0500, Sunday): OPEN" in second.output
    gap = runner.invoke(app, ["hours", "explain", str(p), "late", "--at", "2026-03-08 02:30"])
    assert "2026-03-08 02:30 does not exist in America/New_York" in gap.output
    assert "at 2026-03-08 03:30 America/New_York (EDT" in gap.output


def test_compile_of_one_flow_bundles_the_modules_it_calls(tmp_path: Path) -> None:
    import json

    out = tmp_path / "build"
    r = runner.invoke(app, ["compile", "examples/bank.yaml", "-o", str(out)])
    assert r.exit_code == 0, r.output
    bundle = json.loads((out / "bundle.json").read_text(encoding="utf-8"))
    assert sorted(bundle["flows"]) == ["bank", "verify_pin"]
    assert "compiled 2 flow(s)" in r.output


def test_binding_messages_name_tables_in_the_singular(tmp_path: Path) -> None:
    r = runner.invoke(app, ["check", "examples/bank.yaml", "bindings/dev.yaml"])
    assert "a mailbox of a known flow" in r.output and "mailboxe" not in r.output


ONE_TRY = """flow: lang
nodes:
  start:
    menu:
      prompt: "For English press 1"
      options: {1: en}
      retries: 1
      timeout: 2s
      %s
      on_fail: zh
  en: {hangup: null}
  zh: {hangup: null}
"""


def test_fl305_does_not_ask_for_prompts_a_one_try_menu_never_plays(tmp_path: Path) -> None:
    p = tmp_path / "lang.yaml"
    p.write_text(ONE_TRY % "", encoding="utf-8")
    r = runner.invoke(app, ["check", str(p), "--select", "FL305"])
    assert "FL305" not in r.output, r.output
    p.write_text(ONE_TRY % 'no_match: "Sorry"', encoding="utf-8")
    r = runner.invoke(app, ["check", str(p), "--select", "FL305"])
    assert "its `no_match` prompt never plays" in r.output, r.output


def _check(tmp_path: Path, name: str, text: str) -> str:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return runner.invoke(app, ["check", str(p)]).output


def test_hints_say_what_to_write(tmp_path: Path) -> None:
    out = _check(
        tmp_path,
        "r.flow",
        'flow r\n\nstart: menu\n  say "x"\n  1 -> b\n  retries three\n  on fail -> b\nb: hangup\n',
    )
    assert "`three` is not a value" in out and "write a number (e.g. `3`)" in out
    assert "`true`" not in out
    out = _check(
        tmp_path,
        "q.flow",
        "flow q\n\nstart: queue tech\n  max_wait 5m\n  on timeout -> b\nb: hangup\n",
    )
    assert "the text form writes it with spaces: `max wait`" in out
    out = _check(
        tmp_path,
        "r.yaml",
        "flow: r\nnodes:\n  start: {menu: {prompt: x, options: "
        "{1: b}, retries: three, on_fail: b}}\n  b: {hangup: null}\n",
    )
    assert "menu.retries: `three` is not a whole number" in out and "Input should" not in out
    out = _check(
        tmp_path,
        "s.yaml",
        "flow: s\nnodes:\n  start:\n    survey:\n"
        '      - {id: q, ask: "Rate", scale: 1-10}\n    next: b\n  b: {hangup: null}\n',
    )
    assert "`1-10` is not one of `1-5`, `0-10` or `yes_no`" in out
    assert "Tuple" not in out and out.count("FL103") == 1
    out = _check(
        tmp_path,
        "h.yaml",
        "flow: h\nschedules:\n  s:\n    timezone: Mars/Olympus\n"
        '    weekly: {mon-fri: "09:00-17:00"}\nnodes:\n'
        "  start: {hours: s, open: b, closed: b}\n  b: {hangup: null}\n",
    )
    assert "h.yaml:4:15 error: unknown timezone `Mars/Olympus`" in out
    out = _check(tmp_path, "n.yaml", "flow: Badname\nnodes:\n  start: {hangup: null}\n")
    assert "`Badname` is not a valid flow name" in out and "`badname`" in out


LANG_MENU = """flow: lang
nodes:
  start:
    menu:
      prompt: "For English press 2, or hold for Mandarin"
      options: {2: en}
      timeout: 2s
      retries: 2
      no_match: "Press 2 for English"
      on_no_input: %s
      on_fail: zh
  en: {hangup: null}
  zh: {hangup: null}
"""


def test_a_menu_where_silence_is_an_answer(tmp_path: Path) -> None:
    import json

    p = tmp_path / "lang.yaml"
    p.write_text(LANG_MENU % "zh", encoding="utf-8")
    silent = json.loads(runner.invoke(app, ["simulate", str(p), "-f", "json"]).output)
    assert silent["path"] == ["start", "zh"]  # at once: no retry for silence
    wrong = runner.invoke(app, ["simulate", str(p), "--press", "9", "--press", "2", "-f", "json"])
    assert json.loads(wrong.output)["path"] == ["start", "en"]  # a wrong key still retries
    # both forms, the same IR
    flow = tmp_path / "lang.flow"
    runner.invoke(app, ["convert", str(p), "--to", "flow", "-o", str(flow)])
    assert "on no input -> zh" in flow.read_text(encoding="utf-8")
    a, b = tmp_path / "a", tmp_path / "b"
    runner.invoke(app, ["compile", str(p), "-o", str(a)])
    runner.invoke(app, ["compile", str(flow), "-o", str(b)])
    ir_a = json.loads((a / "bundle.json").read_text())["flows"]["lang"]
    ir_b = json.loads((b / "bundle.json").read_text())["flows"]["lang"]
    assert ir_a == ir_b and ir_a["nodes"]["start"]["menu"]["on_no_input"] == "zh"
    # the drawing shows the edge; a dangling target is FL201
    assert "on_no_input" in runner.invoke(app, ["graph", str(p)]).output
    p.write_text(LANG_MENU % "nowhere", encoding="utf-8")
    out = runner.invoke(app, ["check", str(p)]).output
    assert "FL201" in out and "`nowhere`" in out


def test_coverage_counts_the_silence_edge(tmp_path: Path) -> None:
    p = tmp_path / "lang.yaml"
    p.write_text(LANG_MENU % "zh", encoding="utf-8")
    (tmp_path / "lang.test.yaml").write_text(
        "flow: lang.yaml\nscenarios:\n"
        "  - name: silence\n    expect: {path: [start, zh]}\n"
        "  - name: english\n    inputs: [press 2]\n    expect: {path: [start, en]}\n"
        "  - name: wrong twice\n    inputs: [press 9, press 8]\n    expect: {path: [start, zh]}\n",
        "utf-8",
    )
    r = runner.invoke(app, ["test", str(tmp_path / "lang.test.yaml")])
    assert "3 passed, 0 failed" in r.output, r.output
    assert "not covered" not in r.output, r.output
