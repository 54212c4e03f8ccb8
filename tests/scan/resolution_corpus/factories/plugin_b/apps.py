from django.apps import AppConfig


class PluginBConfig(AppConfig):
    """Installed, but not a plugin (no PluginMeta): its urls are not mounted by the loop."""

    name = "plugin_b"
