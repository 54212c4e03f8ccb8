_permissions = set()


def register_permission(name):
    _permissions.add(name)
