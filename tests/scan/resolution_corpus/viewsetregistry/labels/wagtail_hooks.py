from cms import hooks
from labels.viewsets import LabelGroup


@hooks.register("register_admin_viewset")
def register_labels():
    return LabelGroup()
