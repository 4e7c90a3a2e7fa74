"""A root class whose constructor raises: the failure happens at mount, after import."""


class Root:
    def __init__(self):
        raise RuntimeError("database is not configured")
