"""Pure helpers the CherryPy suite imports from CherryPy's private modules.

None of them is behaviour under test: they convert strings, encode JSON test data or
stand in for the refleak page the left-out ``test_gc`` tests read. Each is listed in
``tests/cherrypy_suite/README.md``.
"""
