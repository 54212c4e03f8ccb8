def require_plugin(view):
    return view
