"""One module per ``cherry`` subcommand.

Convention: ``commands/<name>.py`` defines a click command ``<name>_command`` (declared
with :mod:`cherrycli.options`) whose module imports only click and the standard library
at top level; the heavy work happens in a library module imported inside the function
body.
:mod:`cherrycli.main` registers every name listed in ``COMMANDS``.
"""
