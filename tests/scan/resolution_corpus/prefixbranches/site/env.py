import os


def get_env_str(name, default=""):
    """A project's own environment helper (not os.environ.get): its value stays unknown."""
    return os.environ.get(name, default)
