"""Prompts normalised from what an author writes are built without pydantic's constructor
(flowc.model.prompts._mk_part/_mk_prompt): they must be the very objects pydantic builds."""

from __future__ import annotations

from typing import Any

import pytest

from flowc.model.prompts import Prompt, PromptPart, normalize_prompt

WRITTEN: list[Any] = [
    "Welcome to the bank.",
    {"tts": "Hello {name}"},
    {"audio": "welcome.wav", "barge_in": False},
    {"say": {"money": "{balance}"}},
    {"prompt": "greeting"},
    ["Your balance is", {"say": {"money": "{balance}"}}],
    {"en-US": "Hello", "zh-CN": ["你好", {"audio": "hi.wav"}]},
]


@pytest.mark.parametrize("raw", WRITTEN, ids=[str(i) for i in range(len(WRITTEN))])
def test_a_built_prompt_is_what_pydantic_builds(raw: Any) -> None:
    built = normalize_prompt(raw)
    checked = Prompt.model_validate(built.model_dump())
    constructed = Prompt.model_construct(variants=built.variants, barge_in=built.barge_in)
    for other in (checked, constructed):
        assert built == other
        assert built.model_dump() == other.model_dump()
        assert built.model_dump_json() == checked.model_dump_json()
        assert built.model_fields_set == other.model_fields_set
        assert built.__pydantic_extra__ == other.__pydantic_extra__
        assert built.__pydantic_private__ == other.__pydantic_private__
    for parts in built.variants.values():
        for part in parts:
            again = PromptPart.model_validate(part.model_dump())
            assert part == again and hash(part) == hash(again)
            assert part.model_fields_set == again.model_fields_set
    with pytest.raises(Exception, match="frozen"):
        built.barge_in = False


def test_plain_text_prompts_are_one_shared_object() -> None:
    assert normalize_prompt("Sorry?") is normalize_prompt("Sorry?")
    assert normalize_prompt("Sorry?") is not normalize_prompt("Sorry!")
