"""One module per ``cherry`` subcommand.

Convention: ``commands/<name>.py`` defines a typer command function ``<name>_command``
whose module imports only typer and the standard library at top level; the heavy work
happens in a library module imported inside the function body.
:mod:`cherrycli.main` registers every name listed in ``COMMANDS``.
"""
