from cms import hooks
from places.views import chooser_viewset


@hooks.register("register_admin_viewset")
def register_place_chooser():
    return chooser_viewset
