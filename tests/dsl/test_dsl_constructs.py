"""Each construct of the DSL, parsed, against the data the equivalent YAML loads to."""

from __future__ import annotations

from typing import Any

import pytest

from flowc.source.dsl.parser import parse_dsl_text


def data(text: str) -> Any:
    return parse_dsl_text(text, "t.flow").data


def node(text: str) -> Any:
    """Parse one node (`x: ...`) and return its mapping."""
    return data(text)["nodes"]["x"]


# ------------------------------------------------------------------------------------ header


def test_header_scalars() -> None:
    assert data(
        "flowc 1\n"
        'flow acme_care "ACME care line"\n'
        "entry start\n"
        "locale zh-CN\n"
        "locales zh-CN, en-US es-419\n"
        "agent key 0 -> billing\n"
    ) == {
        "flowc": 1,
        "flow": "acme_care",
        "description": "ACME care line",
        "entry": "start",
        "locale": "zh-CN",
        "locales": ["zh-CN", "en-US", "es-419"],
        "agent_key": {"key": "0", "goto": "billing"},
    }


def test_description_statement_and_quoted_values() -> None:
    assert data('flow "odd name"\ndescription "Line \\"one\\"\\nline two"\nlocales\n') == {
        "flow": "odd name",
        "description": 'Line "one"\nline two',
        "locales": [],
    }


def test_params_and_returns() -> None:
    assert data("param account: string\nparam tries: int\nreturns verified: bool\n") == {
        "params": {"account": "string", "tries": "int"},
        "returns": {"verified": "bool"},
    }


def test_variables_all_forms() -> None:
    assert data(
        "var tier: string\n"
        "var attempts: int = 0\n"
        "var pin: string sensitive\n"
        'var note: string = "" sensitive off\n'
        "var ratio: float = 1.5\n"
        'var tags: any = [1, "a", true, null]\n'
        "var plain\n"
        "var typed\n"
        "  type string\n"
        "var full\n"
        "  type int\n"
        "  default -3\n"
        "  sensitive on\n"
        '  description "how many"\n'
        '  field unit = "calls"\n'
    )["variables"] == {
        "tier": "string",
        "attempts": {"type": "int", "default": 0},
        "pin": {"type": "string", "sensitive": True},
        "note": {"type": "string", "default": "", "sensitive": False},
        "ratio": {"type": "float", "default": 1.5},
        "tags": {"type": "any", "default": [1, "a", True, None]},
        "plain": {},
        "typed": {"type": "string"},
        "full": {
            "type": "int",
            "default": -3,
            "sensitive": True,
            "description": "how many",
            "unit": "calls",
        },
    }


def test_prompt_definitions() -> None:
    assert data(
        'prompt hello "Hello"\n'
        'prompt bye zh-CN "再见" en-US "Goodbye"\n'
        "prompt menu_intro\n"
        '  zh-CN "您好" + audio "chime.wav"\n'
        '  en-US "Hello" barge-in off\n'
        "  barge-in off\n"
        'prompt "prompt" "a prompt named like a keyword"\n'
    )["prompts"] == {
        "hello": "Hello",
        "bye": {"zh-CN": "再见", "en-US": "Goodbye"},
        "menu_intro": {
            "zh-CN": ["您好", {"audio": "chime.wav"}],
            "en-US": {"tts": "Hello", "barge_in": False},
            "barge_in": False,
        },
        "prompt": "a prompt named like a keyword",
    }


def test_prompt_parts() -> None:
    prompts = data(
        'prompt a tts "Welcome"\n'
        'prompt b audio "sounds/welcome.wav"\n'
        'prompt c "Your balance is " + money "{balance}" + ", due " + date "{due}"\n'
        'prompt d number "{n}" + digits "{d}" + time "{t}" + ordinal "{o}"\n'
        "prompt e prompt a + prompt b\n"
        'prompt f ["only one"]\n'
        "prompt g []\n"
        'prompt h ("a" + "b") + "c"\n'
        'prompt i audio "x.wav" barge-in off\n'
        'prompt j "text" barge-in off\n'
        'prompt k (audio "x.wav" barge-in on) + "then"\n'
        'prompt l (en-US "x" fr-FR "y") + "z"\n'
        'prompt m ["first try", "second try"]\n'
    )["prompts"]
    assert prompts == {
        "a": {"tts": "Welcome"},
        "b": {"audio": "sounds/welcome.wav"},
        "c": [
            "Your balance is ",
            {"say": {"money": "{balance}"}},
            ", due ",
            {"say": {"date": "{due}"}},
        ],
        "d": [
            {"say": {"number": "{n}"}},
            {"say": {"digits": "{d}"}},
            {"say": {"time": "{t}"}},
            {"say": {"ordinal": "{o}"}},
        ],
        "e": [{"prompt": "a"}, {"prompt": "b"}],
        "f": ["only one"],
        "g": [],
        "h": [["a", "b"], "c"],
        "i": {"audio": "x.wav", "barge_in": False},
        "j": {"tts": "text", "barge_in": False},
        "k": [{"audio": "x.wav", "barge_in": True}, "then"],
        "l": [{"en-US": "x", "fr-FR": "y"}, "z"],
        "m": ["first try", "second try"],
    }


def test_long_prompt_continues_after_plus_and_comma() -> None:
    assert data('prompt p "a" +\n    "b" +\n  "c"\nprompt q [\n  "x",\n  "y"\n]\n')["prompts"] == {
        "p": ["a", "b", "c"],
        "q": ["x", "y"],
    }


def test_schedule() -> None:
    assert data(
        "schedule care_hours Asia/Shanghai\n"
        "  mon-fri 08:00-20:00\n"
        "  sat,sun 09:00-12:00, 13:00-17:00\n"
        '  wed "08:00-12:00,13:00-18:00"\n'
        "  daily closed\n"
        '  "odd days" 10:00-11:00\n'
        "  holidays CN subdiv BJ\n"
        "  closed 2026-12-31, 2026-10-01..2026-10-07\n"
        "  closed 2027-01-01\n"
        "  yearly 12-25, 01-01\n"
        "  special 2026-12-24 08:00-12:00\n"
        "  special 2026-12-30..2026-12-31 closed\n"
        "  emergency storm_closure\n"
        '  field note = "x"\n'
        "schedule bare\n"
        "schedule tz_only Etc/GMT+8\n"
        "schedule body_tz\n"
        "  timezone UTC\n"
        "  holidays\n"
    )["schedules"] == {
        "care_hours": {
            "timezone": "Asia/Shanghai",
            "weekly": {
                "mon-fri": "08:00-20:00",
                "sat,sun": ["09:00-12:00", "13:00-17:00"],
                "wed": "08:00-12:00,13:00-18:00",
                "daily": "closed",
                "odd days": "10:00-11:00",
            },
            "holidays": {
                "calendar": "CN",
                "subdiv": "BJ",
                "closed": ["2026-12-31", "2026-10-01..2026-10-07", "2027-01-01"],
                "yearly": ["12-25", "01-01"],
            },
            "special": {"2026-12-24": "08:00-12:00", "2026-12-30..2026-12-31": "closed"},
            "emergency": "storm_closure",
            "note": "x",
        },
        "bare": {},
        "tz_only": {"timezone": "Etc/GMT+8"},
        "body_tz": {"timezone": "UTC", "holidays": {}},
    }


def test_services() -> None:
    assert data(
        'service crm GET "${CRM_URL}/customers?ani={caller.number}" timeout 1500ms\n'
        '  header Authorization "Bearer ${CRM_TOKEN}"\n'
        '  header X-Trace "{call.id}"\n'
        '  body ani = "{caller.number}"\n'
        "  retries 2\n"
        "service bare\n"
        "service other\n"
        '  method "get"\n'
        '  url "https://x.invalid"\n'
        "  timeout 5\n"
        '  field extra = {"a": [1, 2.5, false]}\n'
    )["services"] == {
        "crm": {
            "method": "GET",
            "url": "${CRM_URL}/customers?ani={caller.number}",
            "timeout": "1500ms",
            "headers": {"Authorization": "Bearer ${CRM_TOKEN}", "X-Trace": "{call.id}"},
            "body": {"ani": "{caller.number}"},
            "retries": 2,
        },
        "bare": {},
        "other": {
            "method": "get",
            "url": "https://x.invalid",
            "timeout": 5,
            "extra": {"a": [1, 2.5, False]},
        },
    }


def test_queues_numbers_mailboxes_fields() -> None:
    assert data(
        "queue billing skill billing\n"
        'queue tech skill tech strategy longest-idle-agent moh "local_stream://moh"\n'
        "queue wide\n"
        "  skill wide\n"
        '  description "many words"\n'
        'number legal_desk "sip:legal@example.invalid"\n'
        "number hotline +441234567\n"
        "number ext 1234\n"
        "mailbox general\n"
        'mailbox sales email "sales@example.invalid"\n'
        'field custom = {"x": null}\n'
    ) == {
        "queues": {
            "billing": {"skill": "billing"},
            "tech": {
                "skill": "tech",
                "strategy": "longest-idle-agent",
                "moh": "local_stream://moh",
            },
            "wide": {"skill": "wide", "description": "many words"},
        },
        "numbers": {
            "legal_desk": "sip:legal@example.invalid",
            "hotline": "+441234567",
            "ext": 1234,
        },
        "mailboxes": {"general": {}, "sales": {"email": "sales@example.invalid"}},
        "custom": {"x": None},
    }


# ------------------------------------------------------------------------------------- nodes


def test_menu() -> None:
    assert node(
        "x: menu\n"
        "  say\n"
        '    zh-CN "查询话费请按1"\n'
        '    en-US "For billing press 1"\n'
        "  1 -> balance\n"
        "  * -> x\n"
        '  "#" -> billing\n'
        '  speech "查话费" -> balance\n'
        "  timeout 5s  inter digit timeout 2s\n"
        "  retries 3\n"
        '  no input "Sorry, I did not hear you"\n'
        '  no match ["Sorry", "Still not right"]\n'
        "  on fail -> billing\n"
        "  repeat key *\n"
        "  agent key off\n"
        '  description "main menu"\n'
        "  tags billing, vip\n"
        "  field extra = 1\n"
    ) == {
        "menu": {
            "prompt": {"zh-CN": "查询话费请按1", "en-US": "For billing press 1"},
            "options": {"1": "balance", "*": "x", "#": "billing"},
            "speech": {"查话费": "balance"},
            "timeout": "5s",
            "inter_digit_timeout": "2s",
            "retries": 3,
            "no_input": "Sorry, I did not hear you",
            "no_match": ["Sorry", "Still not right"],
            "on_fail": "billing",
            "repeat_key": "*",
            "agent_key": False,
            "extra": 1,
        },
        "description": "main menu",
        "tags": ["billing", "vip"],
    }


def test_collect() -> None:
    assert node(
        "x: collect pin -> verify\n"
        '  say "Enter your PIN"\n'
        "  min 4  max 6\n"
        '  terminator "#"\n'
        '  pattern "^\\d+$"\n'
        "  timeout 5  inter digit timeout 3s\n"
        "  retries 2\n"
        '  no input "Please enter it"\n'
        "  no match\n"
        '    en-US "That is not right"\n'
        '    fr-FR "Ce n\'est pas correct"\n'
        '  confirm "You entered " + digits "{pin}"\n'
        "  sensitive on\n"
        "  speech off\n"
        "  on fail -> agent\n"
    ) == {
        "collect": {
            "into": "pin",
            "prompt": "Enter your PIN",
            "min": 4,
            "max": 6,
            "terminator": "#",
            "pattern": "^\\d+$",
            "timeout": 5,
            "inter_digit_timeout": "3s",
            "retries": 2,
            "no_input": "Please enter it",
            "no_match": {"en-US": "That is not right", "fr-FR": "Ce n'est pas correct"},
            "confirm": ["You entered ", {"say": {"digits": "{pin}"}}],
            "sensitive": True,
            "speech": False,
            "on_fail": "agent",
        },
        "next": "verify",
    }


def test_collect_into_setting_and_empty_collect() -> None:
    assert node("x: collect\n  into pin\n") == {"collect": {"into": "pin"}}
    assert node("x: collect\n") == {"collect": {}}


def test_switch() -> None:
    assert node(
        "x: switch\n"
        '  if tier == "gold" -> vip\n'
        '  if caller.number matches "^\\+8610" -> beijing\n'
        "  else -> main_menu\n"
    ) == {
        "switch": [
            {"if": 'tier == "gold"', "goto": "vip"},
            {"if": 'caller.number matches "^\\+8610"', "goto": "beijing"},
        ],
        "default": "main_menu",
    }


def test_switch_conditions_run_to_the_arrow() -> None:
    rules = node(
        "x: switch\n"
        "  if a - b > 3 -> z\n"
        "  if s == '->' -> w   # quoted arrows are part of the condition\n"
        "  else -> m\n"
    )["switch"]
    assert rules == [{"if": "a - b > 3", "goto": "z"}, {"if": "s == '->'", "goto": "w"}]


def test_hours_on_one_line_and_on_several() -> None:
    expected = {
        "hours": "care_hours",
        "open": "identify",
        "closed": "after_hours",
        "holiday": "holiday_msg",
        "emergency": "storm",
    }
    assert (
        node(
            "x: hours care_hours open -> identify closed -> after_hours\n"
            "  holiday -> holiday_msg\n"
            "  emergency -> storm\n"
        )
        == expected
    )
    assert node('x: hours "open" open -> a closed -> b\n')["hours"] == "open"


def test_fetch() -> None:
    assert node(
        "x: fetch crm -> route\n"
        '  param ani = "{caller.number}"\n'
        "  param limit = 5\n"
        '  set tier = "{result.tier}"\n'
        "  set vip = true\n"
        "  on error -> main_menu\n"
        "  on timeout -> sorry\n"
    ) == {
        "fetch": "crm",
        "next": "route",
        "params": {"ani": "{caller.number}", "limit": 5},
        "set": {"tier": "{result.tier}", "vip": True},
        "on_error": "main_menu",
        "on_timeout": "sorry",
    }


def test_set() -> None:
    assert node('x: set tier = "gold" -> next_node\n') == {
        "set": {"tier": "gold"},
        "next": "next_node",
    }
    assert node('x: set a = 1, b = {a + 1} -> n\n  set on = "soft keyword name"\n') == {
        "set": {"a": 1, "b": "{a + 1}", "on": "soft keyword name"},
        "next": "n",
    }
    assert node("x: set\n") == {"set": {}}


def test_play() -> None:
    assert node('x: play "Welcome to ACME" -> main_menu\n') == {
        "play": "Welcome to ACME",
        "next": "main_menu",
    }
    assert node('x: play -> m\n  say\n    zh-CN "欢迎"\n    en-US "Welcome"\n') == {
        "play": {"zh-CN": "欢迎", "en-US": "Welcome"},
        "next": "m",
    }
    assert node("x: play\n") == {"play": None}


def test_queue() -> None:
    assert node(
        "x: queue tech priority {5 if tier == 'gold' else 1} max wait 10m\n"
        "  announce position\n"
        "  announce every 30s\n"
        "  exit key *\n"
        "  on timeout -> callback\n"
        "  on no agent -> voicemail\n"
        "  on exit -> main_menu\n"
        "  after -> survey\n"
    ) == {
        "queue": "tech",
        "priority": "{5 if tier == 'gold' else 1}",
        "max_wait": "10m",
        "announce": "position",
        "announce_every": "30s",
        "exit_key": "*",
        "on_timeout": "callback",
        "on_no_agent": "voicemail",
        "on_exit": "main_menu",
        "after": "survey",
    }
    assert node("x: queue billing priority 5\n") == {"queue": "billing", "priority": 5}


def test_transfer() -> None:
    assert node(
        'x: transfer legal_desk\n  mode warm\n  say "Connecting you"\n  on fail -> sorry\n'
    ) == {
        "transfer": "legal_desk",
        "mode": "warm",
        "prompt": "Connecting you",
        "on_fail": "sorry",
    }
    assert node("x: transfer +441234567\n") == {"transfer": "+441234567"}
    assert node("x: transfer 1234\n") == {"transfer": 1234}
    assert node('x: transfer "sip:{caller.number}@pbx.invalid"\n') == {
        "transfer": "sip:{caller.number}@pbx.invalid"
    }


def test_voicemail_record_callback() -> None:
    assert node(
        'x: voicemail general -> goodbye\n  say "Leave a message"\n  max length 120s\n'
    ) == {
        "voicemail": "general",
        "next": "goodbye",
        "prompt": "Leave a message",
        "max_length": "120s",
    }
    assert node("x: voicemail general\n") == {"voicemail": "general"}
    assert node(
        'x: record message -> thanks\n  say "Speak after the tone"\n  max length 60s\n  beep off\n'
    ) == {
        "record": "message",
        "next": "thanks",
        "prompt": "Speak after the tone",
        "max_length": "60s",
        "beep": False,
    }
    assert node(
        'x: callback "{caller.number}" -> goodbye\n'
        '  say "We will call you back"\n'
        '  confirm "Press 1 to confirm " + digits "{caller.number}"\n'
    ) == {
        "callback": {
            "number": "{caller.number}",
            "prompt": "We will call you back",
            "confirm": ["Press 1 to confirm ", {"say": {"digits": "{caller.number}"}}],
        },
        "next": "goodbye",
    }
    assert node("x: callback\n  number {caller.number}\n") == {
        "callback": {"number": "{caller.number}"}
    }


def test_survey() -> None:
    assert node(
        "x: survey -> goodbye\n"
        '  ask csat 1-5 "How satisfied were you?"\n'
        '  ask nps 0-10 retries 3 "Would you recommend us?"\n'
        "  ask solved yes_no\n"
        '    en-US "Was it solved?"\n'
        '    zh-CN "解决了吗?"\n'
        '  ask free "Anything else?"\n'
        '  thanks "Thank you"\n'
    ) == {
        "survey": [
            {"id": "csat", "ask": "How satisfied were you?", "scale": "1-5"},
            {"id": "nps", "ask": "Would you recommend us?", "scale": "0-10", "retries": 3},
            {
                "id": "solved",
                "ask": {"en-US": "Was it solved?", "zh-CN": "解决了吗?"},
                "scale": "yes_no",
            },
            {"id": "free", "ask": "Anything else?"},
        ],
        "thanks": "Thank you",
        "next": "goodbye",
    }


def test_subflow_return_hangup_goto() -> None:
    assert node(
        'x: subflow "modules/verify.flow" -> done\n'
        '  with account = "{account}"\n'
        '  set verified = "{result.verified}"\n'
    ) == {
        "subflow": "modules/verify.flow",
        "next": "done",
        "with": {"account": "{account}"},
        "set": {"verified": "{result.verified}"},
    }
    assert node('x: return verified = true, reason = "ok"\n') == {
        "return": {"verified": True, "reason": "ok"}
    }
    assert node("x: return\n  return count = 3\n") == {"return": {"count": 3}}
    assert node('x: hangup NORMAL_CLEARING\n  say "Goodbye"\n') == {
        "hangup": "NORMAL_CLEARING",
        "prompt": "Goodbye",
    }
    assert node("x: hangup\n") == {"hangup": None}
    assert node('x: goto main_menu\n  description "loop back"\n') == {
        "goto": "main_menu",
        "description": "loop back",
    }


def test_node_names_may_be_keywords_or_quoted() -> None:
    nodes = data(
        "survey: survey -> callback\n"
        "callback: callback -> queue\n"
        "queue: queue billing\n"
        '"main-menu": goto survey\n'
        'x: goto "main-menu"\n'
        'y: menu\n  1 -> "main-menu"\n'
    )["nodes"]
    assert nodes == {
        "survey": {"survey": [], "next": "callback"},
        "callback": {"callback": {}, "next": "queue"},
        "queue": {"queue": "billing"},
        "main-menu": {"goto": "survey"},
        "x": {"goto": "main-menu"},
        "y": {"menu": {"options": {"1": "main-menu"}}},
    }


def test_raw_nodes() -> None:
    assert data('x: {"goto": "y", "weird": [1, {"a": null}]}\nz: null\n')["nodes"] == {
        "x": {"goto": "y", "weird": [1, {"a": None}]},
        "z": None,
    }


def test_field_escape_in_nodes() -> None:
    assert node('x: menu\n  field description = "inside the menu mapping"\n') == {
        "menu": {"description": "inside the menu mapping"}
    }
    assert node("x: goto y\n  field weird = [1]\n") == {"goto": "y", "weird": [1]}


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_comments_and_line_endings(newline: str) -> None:
    text = newline.join(
        [
            "# ACME care line",
            "flow acme   # the name",
            "",
            "# the first node",
            "start: menu",
            "  # say it",
            '  say "hi"',
            "  1 -> start  # again",
            "# the end",
            "",
        ]
    )
    doc = parse_dsl_text(text, "t.flow")
    assert doc.data == {
        "flow": "acme",
        "nodes": {"start": {"menu": {"prompt": "hi", "options": {"1": "start"}}}},
    }
    assert doc.comments == {
        ("flow",): ["ACME care line", "the name"],
        ("nodes", "start"): ["the first node"],
        ("nodes", "start", "menu", "prompt"): ["say it"],
        ("nodes", "start", "menu", "options", "1"): ["again"],
        (): ["the end"],
    }


def test_no_trailing_newline_and_bom() -> None:
    assert data("\ufeffflow x\nm: goto m") == {"flow": "x", "nodes": {"m": {"goto": "m"}}}


def test_empty_file() -> None:
    assert data("") == {}
    assert data("# only a comment\n\n") == {}
