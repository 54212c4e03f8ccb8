_hooks = {}


def register(name):
    def decorator(fn):
        _hooks.setdefault(name, []).append(fn)
        return fn

    return decorator


def get_hooks(name):
    return _hooks.get(name, [])
