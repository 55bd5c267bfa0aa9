"""Generate realistic flows of any size for benchmarks: menus three deep, queues, look-ups."""

from __future__ import annotations

from typing import Any


def generate_flow(n_nodes: int, name: str = "bench") -> dict[str, Any]:
    """A valid flow with about `n_nodes` nodes: a tree of menus leading to queues and plays."""
    nodes: dict[str, Any] = {}
    queues = {f"q{i}": {"skill": f"skill{i}"} for i in range(5)}
    nodes["start"] = {"hours": "office", "open": "lookup", "closed": "closed_msg"}
    nodes["lookup"] = {
        "fetch": "crm",
        "set": {"tier": "{result.tier}"},
        "next": "route",
        "on_error": "m0",
    }
    nodes["route"] = {"switch": [{"if": 'tier == "gold"', "goto": "vip"}], "default": "m0"}
    nodes["vip"] = {"queue": "q0", "priority": "{10 if tier == 'gold' else 1}", "after": "bye"}
    nodes["closed_msg"] = {"play": "We are closed.", "next": "bye"}
    nodes["bye"] = {"hangup": None, "prompt": "Goodbye"}
    pending = ["m0"]
    made = 0
    budget = max(n_nodes - len(nodes), 1)
    while pending and made < budget:
        menu_id = pending.pop(0)
        options: dict[str, str] = {}
        for key in "1234":
            made += 1
            child = f"n{len(nodes) + made}"
            if made + len(pending) * 4 < budget:
                pending.append(child)
            else:
                nodes[child] = {
                    "play": f"You chose option {key} of {menu_id}.",
                    "next": f"{child}_q",
                }
                nodes[f"{child}_q"] = {"queue": f"q{int(key)}", "priority": 1, "after": "bye"}
                made += 1
            options[key] = child
        nodes[menu_id] = {
            "menu": {
                "prompt": f"Menu {menu_id}: press 1 to 4.",
                "options": options,
                "no_input": "Sorry, I did not hear you.",
                "no_match": "Sorry, that is not an option.",
                "on_fail": "vip",
            }
        }
    for leftover in pending:
        nodes[leftover] = {"queue": "q1", "after": "bye"}
    return {
        "flow": name,
        "locales": ["en-US"],
        "agent_key": {"key": "0", "goto": "vip"},
        "variables": {"tier": "string"},
        "schedules": {
            "office": {"timezone": "Europe/London", "weekly": {"mon-fri": "08:00-18:00"}}
        },
        "services": {"crm": {"url": "${CRM_URL}/c?ani={caller.number}", "timeout": "1500ms"}},
        "queues": queues,
        "nodes": nodes,
    }


def generate_menu_chain(n_menus: int, name: str = "chain") -> dict[str, Any]:
    """A chain of `n_menus` menus with 5 options each: 1 goes on to the next menu, 2 back to
    the previous one, 3 to an agent queue, 4 starts over, 5 hangs up (n_menus + 2 nodes)."""
    nodes: dict[str, Any] = {}
    for i in range(n_menus):
        nxt = f"m{i + 1}" if i + 1 < n_menus else "agents"
        back = f"m{i - 1}" if i else "m0"
        nodes[f"m{i}"] = {
            "menu": {
                "prompt": f"Menu {i}, press 1 to 5.",
                "options": {"1": nxt, "2": back, "3": "agents", "4": "m0", "5": "bye"},
                "no_input": "Sorry?",
                "no_match": "No such key.",
                "on_fail": "agents",
            }
        }
    nodes["agents"] = {"queue": "care", "priority": 1, "after": "bye"}
    nodes["bye"] = {"hangup": None, "prompt": "Goodbye"}
    return {
        "flow": name,
        "locales": ["en-US"],
        "queues": {"care": {"skill": "care"}},
        "nodes": nodes,
    }
