_hooks = {}


def register(name, fn=None):
    if fn is None:

        def decorator(fn):
            register(name, fn)
            return fn

        return decorator
    _hooks.setdefault(name, []).append(fn)


def get_hooks(name):
    return _hooks.get(name, [])
