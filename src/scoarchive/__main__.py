from scoarchive.cli import run

run()
