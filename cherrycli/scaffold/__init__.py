"""``cherry new``'s library: render a project scaffold (``scaffolds/<kind>``) into a directory.

The work is split so that nothing touches the disk before every check has passed:

1. :mod:`~cherrycli.scaffold.names`: NAME becomes a package name (``-`` becomes ``_``),
   refused when it is not an identifier, a keyword, a folder the project itself uses,
   a standard-library name or a name already importable, with a suggestion;
2. :mod:`~cherrycli.scaffold.render`: every file is rendered in memory
   (:func:`~cherrycli.scaffold.render.plan_project`);
3. :mod:`~cherrycli.scaffold.write`: the plan is written after the conflict checks,
   then optionally ``git init``; :func:`~cherrycli.scaffold.write.create_project` runs
   all three, and :func:`~cherrycli.scaffold.write.next_steps` says what to do next.

:mod:`~cherrycli.scaffold.content` knows where the content lives and how its file names
and placeholders map onto a project. This package imports nothing itself.
"""
