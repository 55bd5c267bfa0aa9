"""The sans-IO interpreter: one compiled flow (`Program`), one state machine per call (`Call`).

    program = Program.from_ir(ir, modules)          # once per flow of a bundle, shared
    call = Call(program, CallInfo(caller_number="+8613800000000", did="5000"), flags=flags)
    commands = call.start(now)                        # [Answer()]
    commands = call.handle(events.Answered(at=now))   # [NodeEntered(...), Collect(...)]

Events in (`flowc.interpreter.events`), commands out (`flowc.interpreter.commands`), time only
from `start(now)` and the events' `at`. The simulator, `flowc test` and the live runtime all
drive this one interpreter, so what the tests prove is what the runtime does. `call.py` has
the theory of operation; this docstring is the contract with the host.

Host contract
-------------
* Execute the commands of one `start`/`handle` in order. After each command that expects an
  answer (see the table in `events`), send that answer; the call waits for one at a time.
  `SetVariable`, `Journal`, `StartTimer`, `CancelTimer` need no answer. `Journal` records
  are typed, one subclass per kind (`NodeEntered`, `MenuChosen`, `MenuFailed`, `MenuEmpty`,
  `Escalated`, `QueueDone`, `VoicemailLeft`, `CallbackBooked`, `SurveyAnswered`): dispatch
  on the class.
* `End` is always the last command of a call: drop its timers and outstanding requests,
  close the socket (after a transfer or queue hand-off too). `End` is not a hang-up: a
  `Hangup` command comes before it when the interpreter wants the call cleared.
* Caller hang-up (CHANNEL_HANGUP) -> `Hangup` event, in any state; the answer is `[End]`.
* `Play` -> `PromptDone` when the playback ends, also when a key interrupted it (`barge_in`).
  Keys pressed during a `Play` are not input; flush them (the next `Collect` starts clean).
* `Collect` -> `Digits`, mapped 1:1 onto play_and_get_digits:
  `min max tries timeout_ms terminators prompt invalid_prompt var regex digit_timeout_ms`.
  `terminators` "" means none: write `none` (no DTMF key is in that string; an empty argument
  would default to `#` and shift the arguments). Empty `prompt` / `invalid_prompt`: write
  `silence_stream://250`. Quote file strings with spaces. Report `read_result` as
  `Digits.result`, but decide it as: `success` = the variable holds an accepted entry;
  `failure` = something was entered but refused (the regex mismatch case sets
  `read_result=success` with the variable cleared: report `failure` and put `<var>_invalid` in
  `digits`); `timeout` = nothing entered. `sensitive`: do not log the digits and clear `var`
  afterwards. With `speech` on, recognise speech as well (the keywords are the phrases a
  menu listens for) and answer `SpeechResult(text, confidence)` or `SpeechNoMatch(reason)`;
  a key press still answers `Digits`.
* Menus and collects are driven by the interpreter, one `Collect(tries=1)` per attempt (the
  switch cannot escalate prompts or listen for speech by itself). A menu's regex accepts any
  key and there is no terminator, so `#` and `*` can be options; the interpreter decides.
* `Fetch` -> `FetchResult(request_id, status, body)` (body = parsed JSON or None) or
  `FetchFailed(request_id, "timeout"|"error", detail)` after `retries` more attempts of
  `timeout_ms` each. Substitute `${ENV}` in `url` and header values from the bound service
  environment (never from the flow). The interpreter also starts its own guard timer of
  `timeout_ms * (retries + 1) + 1 s`; answers after the guard fired are ignored.
* `Enqueue` -> `QueueResult`: map `cc_cause=answered` to `answered` (with `cc_agent`),
  `cc_cancel_reason` TIMEOUT -> `timeout`, NO_AGENT_TIMEOUT -> `no_agent`, EXIT_WITH_KEY /
  BREAK_OUT -> `exit_key`. `priority` is the member's score (cc_base_score), `exit_key`
  cc_exit_keys, `max_wait_ms` the member's max wait (None: the queue's own).
* `Enqueue.resume_at` / `AgentDone`: after `answered`, mod_callcenter bridges the caller and
  control leaves the socket; when the agent conversation ends the caller continues in the
  dialplan, not in the socket. When `resume_at` is set the generated dialplan has a second
  `socket` action after the first; when that session connects for the same channel, send
  `AgentDone` to the same `Call` (keep calls in `with_agent` state keyed by channel UUID) and
  the flow continues at `resume_at` (the survey). If the call object is gone (restart, or
  another runtime instance took the second socket), build a new `Call`, give it the saved
  variables and the `queued` outcome with `restore(variables=..., outcome="queued",
  detail=...)`, then `start(now, at_node=resume_at)`. Without `resume_at` the call `End`s at
  `answered` with outcome `queued`: do not hang up, just let the dialplan continue.
* `Transfer(target, mode, number)` -> `TransferResult(ok, cause)`. `number` is the logical
  number when the target came from the flow's `numbers` (re-bind it per environment).
  `ok=True` ends the call (outcome `transferred`); `ok=False` takes `on_fail`. A failed
  bridge without continue_on_fail hangs the caller up: that is a `Hangup` event instead.
* `Voicemail` / `Record` -> `RecordDone(path, duration_ms)`.
* Sensitive values are real in the fields the host acts on (`SetVariable.value`,
  `PlayItem.text`, `Fetch.url/headers/body`) and "****" in `repr()`/`to_json()`, the trace,
  `Journal` and `Outcome`. Log commands through `to_json()` only.
* `now()`, `hour()`, `weekday()` read the event times as given (their UTC offset): stamp
  events in the call centre's zone. `hours` nodes and `in_hours()` convert to the schedule's
  own timezone, whatever the offset.
* The loop guard: more than `MAX_STEPS` nodes without waiting for the host ends the call
  (`Hangup(NORMAL_TEMPORARY_FAILURE)`, outcome `error`). A defect inside the interpreter also
  ends only that call (outcome `error`, `detail.reason == "internal_error"`), never the host.
"""

from flowc.interpreter import commands, events
from flowc.interpreter.call import MAX_DEPTH, MAX_STEPS, Call, CallInfo
from flowc.interpreter.commands import Command, PlayItem
from flowc.interpreter.events import Event, EventError, event_from_json
from flowc.interpreter.program import Program
from flowc.interpreter.prompts import ProgramError
from flowc.interpreter.trace import MASK, Outcome, TraceStep

__all__ = [
    "MASK",
    "MAX_DEPTH",
    "MAX_STEPS",
    "Call",
    "CallInfo",
    "Command",
    "Event",
    "EventError",
    "Outcome",
    "PlayItem",
    "Program",
    "ProgramError",
    "TraceStep",
    "commands",
    "event_from_json",
    "events",
]
