from flowc.cli.main import app

app(prog_name="flowc")
