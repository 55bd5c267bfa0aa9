"""`python -m flowc`: the toolchain's commands. The whole `flowc` command, the runtime's
`serve`, `emulate` and `report` included, is `python -m flowc_app` (the installed `flowc`)."""

from flowc.cli.main import app

app(prog_name="flowc")
