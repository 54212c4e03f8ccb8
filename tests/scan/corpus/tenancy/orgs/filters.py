from rest_framework.filters import BaseFilterBackend


class OwnedOrGrantedFilter(BaseFilterBackend):
    def filter_queryset(self, request, queryset, view):
        return queryset.filter(owner=request.user)
