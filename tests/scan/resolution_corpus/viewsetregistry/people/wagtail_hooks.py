from cms import hooks
from people.views import OrgGroup, PersonViewSet


@hooks.register("register_admin_viewset")
def register_viewsets():
    return [PersonViewSet("people"), PersonViewSet("staff", url_prefix="people/staff"), OrgGroup()]
