"""Ids of existing objects arriving in the request body (issue 12, GHSA-386h-chg4-cfw9)."""

from django.db.models import Count, Q
from django.http import HttpResponseForbidden
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from groups.models import Document, Label, ShareLink


class ShareLinkSerializer(serializers.ModelSerializer):  # expect: MG108
    class Meta:
        model = ShareLink
        fields = ("id", "document", "slug")


class CheckedShareLinkSerializer(serializers.ModelSerializer):  # expect: -
    class Meta:
        model = ShareLink
        fields = ("id", "document", "slug")

    def validate_document(self, document):
        if document.owner != self.context["request"].user:
            raise PermissionDenied()
        return document


class ScopedShareLinkSerializer(serializers.ModelSerializer):  # expect: -
    class Meta:
        model = ShareLink
        fields = ("id", "document", "slug")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.context["request"].user
        self.fields["document"].queryset = Document.objects.filter(owner=user)


class RestrictedRelatedField(serializers.PrimaryKeyRelatedField):
    """Nautobot's shape: every generated relation only resolves ids the caller may see."""

    def to_internal_value(self, data):
        self.queryset = self.get_queryset().filter(owner=self.context["request"].user)
        return super().to_internal_value(data)


class PlainRelatedField(serializers.PrimaryKeyRelatedField):
    def to_internal_value(self, data):
        return super().to_internal_value(data)


class RestrictedModelSerializer(serializers.ModelSerializer):
    serializer_related_field = RestrictedRelatedField


class PlainModelSerializer(serializers.ModelSerializer):
    serializer_related_field = PlainRelatedField


class RestrictedShareLinkSerializer(RestrictedModelSerializer):  # expect: -
    class Meta:
        model = ShareLink
        fields = ("id", "document", "slug")


class PlainShareLinkSerializer(PlainModelSerializer):  # expect: MG108
    class Meta:
        model = ShareLink
        fields = ("id", "document", "slug")


class ShareLinkViewSet(viewsets.ModelViewSet):
    serializer_class = ShareLinkSerializer

    def get_queryset(self):
        return ShareLink.objects.filter(owner=self.request.user)


class CheckedShareLinkViewSet(ShareLinkViewSet):
    serializer_class = CheckedShareLinkSerializer


class ScopedShareLinkViewSet(ShareLinkViewSet):
    serializer_class = ScopedShareLinkSerializer


class RestrictedShareLinkViewSet(ShareLinkViewSet):
    serializer_class = RestrictedShareLinkSerializer


class PlainShareLinkViewSet(ShareLinkViewSet):
    serializer_class = PlainShareLinkSerializer


class SelectionSerializer(serializers.Serializer):
    documents = serializers.ListField(child=serializers.IntegerField())


class SelectionDataView(GenericAPIView):
    serializer_class = SelectionSerializer

    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = serializer.validated_data.get("documents")
        labels = Label.objects.annotate(
            n=Count("documents", filter=Q(documents__id__in=ids))  # expect: MG108
        )
        return Response({"labels": [(label.name, label.n) for label in labels]})


class CheckedSelectionDataView(GenericAPIView):
    serializer_class = SelectionSerializer

    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = serializer.validated_data.get("documents")
        permitted = Document.objects.filter(owner=request.user)
        if permitted.filter(pk__in=ids).count() != len(ids):
            return HttpResponseForbidden("Insufficient permissions")
        labels = Label.objects.annotate(
            n=Count("documents", filter=Q(documents__id__in=ids))  # expect: -
        )
        return Response({"labels": [(label.name, label.n) for label in labels]})
