from django.apps import AppConfig


class PluginAConfig(AppConfig):
    name = "plugin_a"

    class PluginMeta:
        version = "1.0"
