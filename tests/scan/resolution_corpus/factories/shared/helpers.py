from shared.wrap import require_plugin


def plugin_urls(urllist):
    """Wraps every view of ``urllist`` in place (pretix's plugin_event_urls)."""
    for entry in urllist:
        if hasattr(entry, "callback"):
            entry.callback = require_plugin(entry.callback)
    return urllist
