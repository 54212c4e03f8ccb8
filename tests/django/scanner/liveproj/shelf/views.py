from django.http import HttpResponse
from django.views.generic import View
from rest_framework import generics, serializers, viewsets

from shelf.models import Book


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = ("id", "title")


class BookList(generics.ListAPIView):
    serializer_class = BookSerializer


class BookViewSet(viewsets.ModelViewSet):
    queryset = Book.objects.all()
    serializer_class = BookSerializer


class EditBook(View):
    def get(self, request, pk):
        return HttpResponse("edit")

    def post(self, request, pk):
        return HttpResponse("saved")


def shelf_index(request):
    return HttpResponse("index")


def reader(request):
    return HttpResponse("reader")


class Settings:
    """An object passed to as_view(): described by its type, never by repr()."""

    def __repr__(self) -> str:
        raise AssertionError("the live resolver must not repr a project object")
