"""FL0xx: reading a flow, binding or scenario file into data (YAML loader, `.flow` parser)."""

from __future__ import annotations

from flowc.codes.entry import Entry
from flowc.diagnostics import Severity

E = Severity.ERROR

ENTRIES: tuple[Entry, ...] = (
    Entry(
        "FL001",
        "yaml-syntax",
        E,
        "The YAML text is not well formed, so the file cannot be read into data.",
        what="Also reported for a mapping or a list used as a mapping key, an alias `*name` "
        "whose anchor `&name` is not defined before it, and a `<<` merge whose value is not a "
        "mapping or a list of mappings. The message quotes the YAML parser in words an author "
        "can act on, with a caret at the place it stopped.",
        why="nothing in a file that does not parse can be checked, compiled or run.",
        example_form="yaml",
        example="""\
flowc: 1
flow: clinic
entry: welcome
nodes:
  welcome: {play: "Welcome to the clinic.", next: goodbye
  goodbye: {hangup: NORMAL_CLEARING}""",
        fix="follow the hint under the caret; here, close the `{` after `next: goodbye`.",
    ),
    Entry(
        "FL002",
        "duplicate-key",
        E,
        "A key appears twice in one mapping, or a `.flow` file defines a node, a definition "
        "or a setting twice.",
        what="Every duplicate is reported, at its second occurrence. YAML keys are compared as "
        'written after YAML reads them, so `1:` and `"1":` in one mapping are the same key.',
        why="YAML parsers silently keep the last value, so the first one written would be "
        "dropped without a word: a second `start:` node replaces the first.",
        example_form="yaml",
        example="""\
flowc: 1
flow: clinic
entry: welcome
nodes:
  welcome: {play: "Welcome to the clinic.", next: goodbye}
  welcome: {play: "Welcome!", next: goodbye}
  goodbye: {hangup: NORMAL_CLEARING}""",
        fix="remove one of them, or rename it (and the references to it).",
    ),
    Entry(
        "FL003",
        "unsafe-tag",
        E,
        "A YAML tag is not allowed, or a value does not fit its explicit tag.",
        what="Python object tags (`!!python/...`), custom tags (`!Ref`) and standard tags that "
        "flow files do not use are refused, and so is a value that does not parse as the "
        "standard tag written before it (`!!int three`).",
        why="flow files are plain data: a tag that builds objects would let a file run code "
        "on the machine that reads it, and a value that silently stayed text would hide the "
        "mistake.",
        example_form="yaml",
        example="""\
flowc: 1
flow: clinic
entry: welcome
nodes:
  welcome: {play: !!python/object/apply:os.system ["id"], next: goodbye}
  goodbye: {hangup: NORMAL_CLEARING}""",
        fix="write the value without the tag.",
    ),
    Entry(
        "FL004",
        "too-large",
        E,
        "A flow file, or what its YAML aliases expand to, is larger than the loader allows.",
        what="The limits: 10 MiB of text (YAML and `.flow` files alike, checked before "
        "reading), 1,000,000 values in all, 100,000 values produced by "
        "aliases; an alias used inside the value it refers to (a recursive alias) is refused "
        "too. Budgets are checked before an alias is expanded.",
        why='a "billion laughs" file of nested aliases expands to gigabytes from a few lines; '
        "the limits stop reading early, in bounded time and memory.",
        example="""\
a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]   # ... each line 10 times more""",
        fix="split a large flow into subflow modules; use aliases only for small reuse.",
    ),
    Entry(
        "FL005",
        "too-deep",
        E,
        "Collections in a YAML file are nested more than 64 levels deep (aliases included).",
        why="flow files need a handful of levels; deeper nesting is almost always unbalanced "
        "brackets or input made to exhaust a parser, and the loader stops at the limit instead "
        "of recursing.",
        example="""\
nodes: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[""",
        fix="check the brackets; flatten the structure.",
    ),
    Entry(
        "FL006",
        "bad-encoding",
        E,
        "A YAML file is not UTF-8, or contains a character YAML does not allow (a control "
        "character or NUL).",
        what="The caret points at the first offending byte or character. (A `.flow` file that "
        "is not UTF-8 is reported as FL010.)",
        why="every flow file is UTF-8 text; a file saved as UTF-16 or with a stray control "
        "character would otherwise be read as something other than what the author sees.",
        example="""\
flow: clinic      # saved as UTF-16 by an editor: "the file looks like UTF-16" """,
        fix="save the file as UTF-8; remove the control character, or write it as an escape "
        'in a double-quoted string, e.g. "\\t".',
    ),
    Entry(
        "FL007",
        "not-one-document",
        E,
        "A YAML file is empty, its document is empty, or it holds more than one document.",
        why="a flow file is exactly one mapping; a second document after `---` would be "
        "silently ignored by tools that read only the first.",
        example_form="yaml",
        example="""\
flowc: 1
flow: clinic
entry: welcome
nodes:
  welcome: {play: "Welcome to the clinic.", next: goodbye}
  goodbye: {hangup: NORMAL_CLEARING}
---
flow: pharmacy""",
        fix="remove the `---` separator, or put each document in its own file.",
    ),
    Entry(
        "FL008",
        "not-a-mapping",
        E,
        "The top level of a YAML file is not a mapping.",
        why="a flow, binding or scenario file is a set of `key: value` pairs; a list or a bare "
        "value at the top has no `flow:` or `nodes:` to read.",
        example_form="yaml",
        example="""\
- flow: clinic
- entry: welcome""",
        fix="write `key: value` pairs at the top level, e.g. `flow: clinic` and `nodes:`.",
    ),
    Entry(
        "FL009",
        "unreadable-file",
        E,
        "A flow, binding or scenario file cannot be read: it is missing, permission is denied, "
        "it is not a regular file, or it is a symlink loop.",
        what="flowc reads regular files only, without blocking: a FIFO, `/dev/zero` or "
        "`/dev/stdin` is refused at once, and a symlink loop is named as such (also when it "
        "is found while walking a folder, instead of being skipped).",
        why="nothing can be checked in a file that cannot be opened; the message carries the "
        "operating system's reason.",
        example="""\
$ flowc check flows/locked.yaml
FL009 flows/locked.yaml:1:1 error: cannot read the file: Permission denied""",
        fix="check the path and the file's permissions.",
    ),
    Entry(
        "FL010",
        "dsl-syntax",
        E,
        "A `.flow` file does not parse, and the message says why in call-flow terms.",
        what="Reported for `=>` instead of `->`, a missing `:` after a node name, an unknown "
        'node kind or keyword (with "did you mean"), text without its closing quote, tabs or '
        "stray indentation, unclosed brackets, `barge-in` after a list of prompt parts, a "
        "file nested too deeply to read, and a file that is not UTF-8.",
        why="the parser cannot guess what was meant; the caret and hint show the exact place "
        "and the usual fix.",
        example_form="flow",
        example="""\
flowc 1
flow clinic
entry welcome

welcome: play "Welcome to the clinic." => goodbye
goodbye: hangup""",
        fix="follow the hint; here, write `->` for the arrow.",
    ),
    Entry(
        "FL011",
        "dsl-include",
        E,
        "An `include` in a `.flow` file cannot be followed: the file cannot be read, the "
        "includes form a cycle, or the included file sets more than definitions.",
        what="Included files may define only `var`, `prompt`, `schedule`, `service`, `queue`, "
        "`number` and `mailbox`; a node or a `flow` line in one is refused. Paths are relative "
        "to the including file, and must stay inside the project (the folder with "
        "pyproject.toml or .git, or the flow's folder; `FLOWC_ALLOW_PATHS` allows more): a "
        "file outside it, a device, a FIFO or a symlink loop is refused without being read.",
        why="an include that silently failed would leave the flow without the definitions it "
        "names; a cycle would never end; a node hidden in an included file would change the "
        "call without showing in the flow that runs it.",
        example_form="flow",
        example="""\
flowc 1
flow clinic
entry welcome
include "common/prompts.flow"

welcome: play "Welcome to the clinic." -> goodbye
goodbye: hangup""",
        fix="correct the path, break the cycle, or move nodes and header lines into the "
        "including flow.",
    ),
    Entry(
        "FL012",
        "duplicate-flow",
        E,
        "Two different flows given to `flowc compile` have the same `flow:` name.",
        what="The same flow written in both forms (`x.yaml` and `x.flow`) compiles to the "
        "same IR and is bundled once; only flows that differ are refused.",
        why="the bundle and the runtime find flows by name, so one flow would silently "
        "replace the other on the live line.",
        example="""\
# flows/sales.yaml
flow: main
# flows/support.yaml
flow: main          # another flow with the same name""",
        fix="give one of them another `flow:` name.",
    ),
    Entry(
        "FL013",
        "cannot-write-back",
        E,
        "A value met by `flowc fmt` or `flowc convert` that neither form can write back.",
        what="Reported for `.inf` and `.nan`, a mapping key over 1,000 characters (YAML "
        "readers stop at 1,024), and an integer too long to print (Python refuses over "
        "4,300 digits; a hexadecimal YAML int can be that long). Every such value is "
        "reported, at its place, before anything is written.",
        why="writing half a file and then failing would leave a broken flow behind; a value "
        "written in a form that does not read back would change the flow.",
        example="""flow: clinic
queues: {front_desk: {}}
nodes:
  desk: {queue: front_desk, priority: .inf}     # flowc convert clinic.yaml --to flow""",
        fix="write a finite number, a shorter key, or long digit strings in quotes.",
    ),
)
