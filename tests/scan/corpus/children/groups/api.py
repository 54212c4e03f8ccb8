"""DRF viewsets whose @action lists a child collection of the checked object."""

from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404

from groups.models import DeviceGroup


class DeviceSerializer(serializers.Serializer):
    name = serializers.CharField()


class RestrictedViewSet(viewsets.ModelViewSet):
    """Every object of the view is one the user may see (per-object permissions)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.queryset = self.queryset.restrict(request.user, "view")


class DeviceGroupViewSet(RestrictedViewSet):
    queryset = DeviceGroup.objects.all()
    serializer_class = DeviceSerializer

    @action(detail=True, methods=["get"])
    def members(self, request, pk):
        group = get_object_or_404(self.queryset, pk=pk)
        page = self.paginate_queryset(group.members)  # expect: MG107
        return self.get_paginated_response(DeviceSerializer(page, many=True).data)

    @action(detail=True, methods=["get"])
    def visible_members(self, request, pk):
        group = self.get_object()
        page = self.paginate_queryset(group.members.restrict(request.user, "view"))  # expect: -
        return self.get_paginated_response(DeviceSerializer(page, many=True).data)

    @action(detail=True, methods=["get"])
    def ports(self, request, pk):
        group = self.get_object()
        # A reverse foreign key: the ports belong to the group the user may see.
        page = self.paginate_queryset(group.ports.all())  # expect: -
        return self.get_paginated_response(DeviceSerializer(page, many=True).data)
