"""Sample flow data shared by the DSL tests."""

from __future__ import annotations

from typing import Any

RICH: dict[str, Any] = {
    "flowc": 1,
    "flow": "acme_care",
    "description": "ACME Telecom customer care",
    "entry": "start",
    "locale": "zh-CN",
    "locales": ["zh-CN", "en-US"],
    "agent_key": {"key": "0", "goto": "billing"},
    "params": {"account": "string"},
    "returns": {"verified": "bool"},
    "variables": {
        "tier": "string",
        "attempts": {"type": "int", "default": 0},
        "pin": {"type": "string", "sensitive": True},
        "typed": {"type": "string"},
        "described": {"type": "float", "default": 0.5, "description": "a ratio"},
    },
    "prompts": {
        "goodbye": {"zh-CN": "再见", "en-US": "Goodbye"},
        "balance": ["Your balance is ", {"say": {"money": "{balance}"}}],
        "chime": {"audio": "sounds/chime.wav", "barge_in": False},
        "quiet": {"zh-CN": "请稍候", "en-US": {"tts": "Please hold"}, "barge_in": False},
        "menu": {"prompt": "goodbye"},
        "escapes": 'He said "hi"\\n\ttab \\d+ {x} # not a comment',
    },
    "schedules": {
        "care_hours": {
            "timezone": "Asia/Shanghai",
            "weekly": {
                "mon-fri": "08:00-20:00",
                "sat,sun": ["09:00-12:00", "13:00-17:00"],
                "wed": "08:00-12:00,13:00-18:00",
                "sun": "closed",
            },
            "holidays": {
                "calendar": "CN",
                "closed": ["2026-12-31", "2026-10-01..2026-10-07"],
                "yearly": ["12-25"],
            },
            "special": {"2026-12-24": "08:00-12:00", "2026-12-30..2026-12-31": "closed"},
            "emergency": "storm_closure",
        }
    },
    "services": {
        "crm": {
            "url": "${CRM_URL}/customers?ani={caller.number}",
            "method": "GET",
            "headers": {"Authorization": "Bearer ${CRM_TOKEN}"},
            "timeout": "1500ms",
            "retries": 1,
        }
    },
    "queues": {"billing": {"skill": "billing"}, "tech": {"skill": "tech", "strategy": "ring-all"}},
    "numbers": {"legal_desk": "sip:legal@example.invalid", "hotline": "+441234567"},
    "mailboxes": {"general": {}, "sales": {"email": "sales@example.invalid"}},
    "nodes": {
        "start": {"hours": "care_hours", "open": "identify", "closed": "after_hours"},
        "identify": {
            "fetch": "crm",
            "params": {"ani": "{caller.number}"},
            "set": {"tier": "{result.tier}"},
            "next": "route",
            "on_error": "main_menu",
            "on_timeout": "main_menu",
        },
        "route": {
            "switch": [
                {"if": 'tier == "gold"', "goto": "vip"},
                {"if": 'caller.number matches "^\\+8610"', "goto": "main_menu"},
            ],
            "default": "main_menu",
        },
        "main_menu": {
            "menu": {
                "prompt": {"zh-CN": "查询话费请按1…", "en-US": "For billing press 1…"},
                "options": {"1": "balance", "2": "tech", "0": "billing", "#": "main_menu"},
                "speech": {"查话费": "balance"},
                "timeout": "5s",
                "inter_digit_timeout": "2s",
                "retries": 3,
                "no_input": ["Sorry, I did not hear you", "Please press a key"],
                "no_match": {"prompt": "goodbye"},
                "on_fail": "billing",
                "repeat_key": "*",
                "agent_key": True,
            },
            "description": "the main menu",
            "tags": ["core", "billing"],
        },
        "get_pin": {
            "collect": {
                "into": "pin",
                "prompt": "Please enter your PIN",
                "min": 4,
                "max": 6,
                "terminator": "#",
                "pattern": "^[0-9]+$",
                "timeout": 5,
                "retries": 3,
                "confirm": ["You entered ", {"say": {"digits": "{pin}"}}],
                "sensitive": True,
                "speech": False,
                "on_fail": "billing",
            },
            "next": "verify",
        },
        "init": {"set": {"attempts": 0}, "next": "welcome"},
        "welcome": {"play": {"zh-CN": "欢迎", "en-US": "Welcome"}, "next": "main_menu"},
        "hello": {"play": "Hello", "next": "main_menu"},
        "tech": {
            "queue": "tech",
            "priority": "{5 if tier == 'gold' else 1}",
            "announce": "position",
            "announce_every": "30s",
            "max_wait": "10m",
            "exit_key": "*",
            "on_timeout": "callback",
            "on_no_agent": "leave_message",
            "on_exit": "main_menu",
            "after": "survey",
        },
        "billing": {"queue": "billing", "priority": 5},
        "legal": {"transfer": "legal_desk", "mode": "warm", "on_fail": "main_menu"},
        "direct": {"transfer": "+441234567"},
        "leave_message": {
            "voicemail": "general",
            "prompt": "Please leave a message",
            "max_length": "120s",
            "next": "goodbye_node",
        },
        "record_it": {"record": "message", "max_length": 60, "beep": False, "next": "goodbye_node"},
        "callback": {
            "callback": {"number": "{caller.number}", "prompt": "We will call you back"},
            "next": "goodbye_node",
        },
        "survey": {
            "survey": [
                {"id": "csat", "ask": "How satisfied were you?", "scale": "1-5"},
                {
                    "id": "solved",
                    "ask": {"en-US": "Solved?", "zh-CN": "解决了吗?"},
                    "scale": "yes_no",
                },
            ],
            "thanks": "Thank you",
            "next": "goodbye_node",
        },
        "verify": {
            "subflow": "modules/verify.yaml",
            "with": {"account": "{account}"},
            "set": {"verified": "{result.verified}"},
            "next": "main_menu",
        },
        "done": {"return": {"verified": True}},
        "goodbye_node": {"hangup": None, "prompt": {"prompt": "goodbye"}},
        "vip": {"goto": "tech"},
        "after_hours": {"hangup": "NORMAL_CLEARING", "prompt": "We are closed"},
        "balance": {"play": [{"prompt": "balance"}, "Goodbye"], "next": "goodbye_node"},
    },
}

COMMENTS = {
    ("flow",): ["ACME care line"],
    ("schedules", "care_hours", "weekly", "mon-fri"): ["opening hours"],
    ("nodes", "start"): ["the call starts here"],
    ("nodes", "main_menu", "menu", "options", "2"): ["technical support"],
    ("nodes", "route", "switch", 1): ["Beijing callers"],
}


ODD: dict[str, Any] = {
    "flow": "odd",
    "unknown_header": {"a": [1, 2.5, None, True]},
    "agent_key": {"key": 0, "goto": "x"},
    "locales": "en-US",
    "variables": {"v": ["not", "a", "type"]},
    "prompts": {"empty": {}, "number": 42},
    "nodes": {
        "two_kinds": {"menu": {}, "goto": "x"},
        "no_kind": {"next": "x"},
        "not_a_map": "goto x",
        "menu_extra": {"menu": {"prompt": "hi", "bogus": 1}, "next": "x"},
        "weird_values": {"queue": "q", "priority": {"a": 1}, "max_wait": [1], "retries": 2},
        "int_keys_as_text": {"menu": {"options": {"1": "a", "12": "b", "*#": "c"}}},
        "blank_if": {"switch": [{"if": " x ", "goto": "y"}], "default": "z"},
        "keyword_targets": {"goto": "menu", "next": "survey"},
        "quoted name": {"goto": "quoted name"},
        "play_both": {"play": "a", "prompt": "b"},
        "survey_extra": {"survey": [{"id": "a", "ask": "x", "scale": "1-7", "weight": 2}]},
    },
}
