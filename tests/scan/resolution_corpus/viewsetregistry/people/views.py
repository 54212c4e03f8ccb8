from cms.viewsets import ViewSet, ViewSetGroup


class PersonViewSet(ViewSet):
    menu_hook = "register_admin_menu_item"
    pk_path_converter = "str"


class TeamViewSet(ViewSet):
    name = "teams"


class OrgGroup(ViewSetGroup):
    items = (TeamViewSet,)
