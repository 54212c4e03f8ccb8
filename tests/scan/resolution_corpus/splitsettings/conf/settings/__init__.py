from split_settings.tools import include, optional

include(
    "components/base.py",
    "components/drf*.py",
    optional("local.py"),
)
