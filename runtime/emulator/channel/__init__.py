"""Sans-IO model of one FreeSWITCH channel and its outbound event-socket sessions.

``Channel`` plays FreeSWITCH's side of ``<action application="socket"
data="127.0.0.1:8084 async full"/>``: it is fed the bytes the application
writes (``receive_data``) and virtual time (``advance``), and produces the
messages FreeSWITCH would write (``pop_output``), in FreeSWITCH's order and
byte format.  No I/O, no clock, no sleeping: every delay is a timer in
virtual seconds, ``next_deadline()`` says when the next one is due.

The parts, one module per job (``Channel`` in ``channel.py`` is the facade and the session:
the dialplan, the socket's control, routing and transfers; each part gets the channel and
keeps its own state):

* ``script``: what a test says about the call (``CallerScript``, ``ChannelConfig``, ...);
* ``engine``: timers and the session coroutine; ``events``: building and delivering events;
* ``sockets`` / ``connections`` / ``commands``: the outbound connections, ``socket_function``
  and its park loop, the listener's command table;
* ``breaks``: private events (sendmsg, broadcasts) and CF_BREAK;
* ``apps``: executing applications, the table of recorded apps; ``variables``: expansion and
  the set apps; ``media``: playing (streams, TTS, ``file_string://``, say); ``digits``: keys
  and digit collection; ``speech``: detect_speech; ``recording``: record, voicemail;
  ``callcenter``: the queue app and the agent bridge; ``bridge``: bridge and transfer;
  ``loopback``: mod_loopback's second call (T11);
* ``lifecycle``: states, answer, hang-up and its tail; ``cdr``: the CS_REPORTING variables;
  ``identity``: the call's SIP identity and first caller profile.

What is modelled, and where the facts come from (``tests/fixtures/freeswitch``
recordings of FreeSWITCH 1.10.12 and ``mod_event_socket.c`` /
``switch_core_session.c`` / ``switch_ivr_play_say.c``):

* the listener: ``read_packet`` framing (``wire.CommandReader``), the command
  table of ``parse_command`` in its order and with its prefix matching, the
  exact reply texts, ``full`` vs ``single-channel`` (``-ERR command not
  found``), the first packet whose reply is never sent, the 25 s wait for it,
  subscriptions (``myevents``, ``event``, ``nixevent``, ``noevents``, CUSTOM
  subclasses, ``filter`` with its OR/veto semantics), plain/JSON
  serialization, ``linger`` / ``nolinger`` / ``exit`` / ``resume`` /
  ``divert_events`` / ``getvar``, the linger and disconnect notices;
  ``api`` / ``bgapi`` through the emulated switch's command table
  (``switch.Switch``: ``uuid_break``, ``uuid_setvar``, ``uuid_broadcast``,
  ``callcenter_config queue list members``; anything else is ``-ERR <cmd>
  Command not found!``);
* the session: the ``socket`` app itself (its EXECUTE, ``socket_host`` /
  ``socket_path``, the connection, the park loop, CHANNEL_PARK/UNPARK, its
  EXECUTE_COMPLETE when control leaves), ``sendmsg`` execute/hangup with
  ``Event-UUID``, ``loops``, multi-line arguments, ``${var}`` expansion, the
  EXECUTE / EXECUTE_COMPLETE pair with ``current_application*`` variables,
  channel variables in FreeSWITCH's order (a re-set variable moves to the
  end), caller profiles (``Caller-*``, ``Other-Leg-*``), states, hang-up and
  the CS_HANGUP / CS_REPORTING / CHANNEL_HANGUP_COMPLETE tail with the CDR
  variables;
* several sockets: a ``socket`` action in the dialplan (after the first
  socket, after a transfer) opens a new connection for the same channel
  (``socket_requests``; the driver connects it and reports back with
  ``socket_connected`` / ``socket_failed``).  Every open connection is a
  listener of its own with its own subscriptions; each gets the channel's
  events.  ``socket_function`` splits ``a:p|b:p`` and tries each host in
  turn (Qc2); when none connects ("Socket Error!", a refused connection)
  the app returns at once and the dialplan continues after it (Qc);
* a real XML dialplan (``CallerScript.dialplan``, ``dialplan.Dialplan``):
  the call starts in CS_ROUTING and runs what the hunt of its DID finds,
  every transfer hunts again, and its socket actions are all the call's
  connections; a variable the application sets (``uuid_setvar``) is what the
  next hunt reads, and an unset variable expands to the caller-profile field
  of that name (``${destination_number}``), as ``switch_channel_get_variable``
  does;
* applications: only those a recording shows running (``RECORDED_APPS``:
  answer, bridge, callcenter, detect_speech, hangup, log,
  play_and_get_digits, playback, say, set, socket, speak, transfer, unset,
  voicemail); the caller's behaviour comes from ``CallerScript``;
* ``uuid_break`` (CF_BREAK): cuts the media the running application plays
  (playback, speak, say, sleep, a prompt; the caller's digit collection goes
  on), ``all`` also drops the queued private events (queued ``sendmsg``s and
  broadcasts); in ``callcenter`` the hold music restarts and the member
  stays (T08/T09; ``ChannelConfig.callcenter_break``);
* ``uuid_broadcast``: the application runs as a private event, nested inside
  ``callcenter``'s hold music (the caller hears it while waiting; its
  EXECUTE / EXECUTE_COMPLETE pair reaches the listeners), in the park loop
  like a ``sendmsg``, or after the running application otherwise.

Strictness.  The switch is a ``profile.SwitchProfile`` (``ChannelConfig.profile``; the
default ``stock_1_10_12()`` is the live captures' switch, ``tests/fixtures/freeswitch/live``).
What it does, each from a capture (details where implemented):

=============================================  ==========================================
behaviour                                      capture (line / time)
=============================================  ==========================================
``say:`` without tts_engine/tts_voice:         T01a 253-257
"Invalid Args", collect to timeout, failure
``say:`` with them plays (flite: ASCII only)   T01 265-270, 550-551
``file_string://`` items opened as files,      T01 283-284, T06 306-308
none opens: the try ends at once
``${say_string(...)}`` without a say module:   T06 302-304
the usage text with its newline
``say`` without a say module: nothing said     T02 270-272
``detect_speech`` with no ASR module           T01a 250-252
caller speech to a collect: ``Unrecorded``     none (the SIPp callers sent no audio)
voicemail: unknown mailbox / no skip vars /    T10b 260, T10c 262-269, T10
recorded
``uuid_break`` does not end a queue wait       T08 28-30, T09 63
``uuid_recv_dtmf`` exit key ends it            E1 300-305, 481
unplayable hold music loses keys/broadcasts    T06a 293-296
broadcast in the hold music ~200 ms later      T10a 180.862, T07 64.297
a listener's end clears CF_CONTROLLED          T04 63, 73; D1
a closed socket: the dialplan goes on          Qb 27, 215, 232
``bridge user/X`` not in the directory         Qb 249, 254
``bridge loopback/N/default``: a second call   T11 fslog 1.199954, 13.239962; conn 1
(``BridgeOutcome("loopback")``, loopback.py)
``socket a|b``: each host in turn              Qc2 180-183
a BYE acts ~20 ms later                        T14, T13, T10a
keys: queue exit/ignored, bridged, park drop   T06 272, T12 (3.053), T07 101
rtp timeout (``media_timeout_at``)             T07, T09a (300 s)
=============================================  ==========================================

Anything else - an app or api command no recording shows, a sound file on a switch that
has none, a stream that is not recorded, a say module speaking, a key in an unrecorded
place - raises ``profile.Unrecorded`` into the test.  The outbound_*.jsonl sessions were
recorded on a switch with sound files and no DID variables: ``profile.outbound_recordings``.

Deliberate simplifications (documented where they matter): a ``sendmsg
execute`` that arrives while an app runs waits for it (FreeSWITCH may run it
nested unless ``event-lock``), a ``sendmsg hangup`` takes effect at once
(also inside a running app, as ``switch_ivr_parse_all_events`` does); digits
the caller presses after an input app has what it needs are dropped with
``CallerScript.inputs`` (with ``keys_at`` / ``live_keys`` they wait in the
channel's queue, as T07 shows); without ``linger`` the socket closes right after
CHANNEL_HANGUP and the events of that instant; the race-dependent delivery of
the events fired before ``myevents`` (CHANNEL_STATE, the socket's
CHANNEL_EXECUTE, CHANNEL_PARK) is a setting (``ChannelConfig.early_events``);
after control has left the socket (transfer, queue), queued ``sendmsg``
commands are answered ``+OK`` but never run; a ``uuid_break`` that finds no
application running is dropped (FreeSWITCH leaves CF_BREAK set for the next
media application); host names other than ``localhost`` do not resolve (only
IP literals); XML event format is approximate (not recorded); a transfer once
``max_forwards`` (70) is used up hangs up with EXCHANGE_ROUTING_ERROR (a bound
on a dialplan that transfers in a loop).
"""

from __future__ import annotations

from .apps import check_dialplan
from .channel import Channel
from .script import (
    BridgeOutcome,
    CallerScript,
    CallSpec,
    ChannelConfig,
    DialplanApp,
    Outgoing,
    QueueOutcome,
    SocketRequest,
    speech,
)
from .sockets import socket_target, socket_targets
from .variables import SAY_STRING_USAGE

__all__ = [
    "SAY_STRING_USAGE",
    "BridgeOutcome",
    "CallSpec",
    "CallerScript",
    "Channel",
    "ChannelConfig",
    "DialplanApp",
    "Outgoing",
    "QueueOutcome",
    "SocketRequest",
    "check_dialplan",
    "socket_target",
    "socket_targets",
    "speech",
]
