from scoarchive.cli.main import run

run()
