"""`python bot.py COMMAND`: one module per group of commands (serving, work, admin, findings,
drills), the parser that names them all (cli/parser.py), and what they share (cli/common.py:
settings, the plain failure message, building and draining services)."""
