from django.urls import include, path
from django.views.generic import ListView
from rest_framework.routers import SimpleRouter
from shelf import decorators, views
from shelf.models import Book

router = SimpleRouter()
router.register("books", views.BookViewSet)

urlpatterns = [
    path("list/", ListView.as_view(queryset=Book.objects.all(), template_name="x.html")),
    path("api/list/", views.BookList.as_view(queryset=Book.objects.filter(title="a"))),
    path("api/manager/", views.BookList.as_view(queryset=Book.objects)),
    path("api/", include(router.urls)),
    path(
        "edit/<int:pk>/",
        decorators.shelf_permission_required("shelf.change_book")(views.EditBook.as_view()),
    ),
    path("index/", decorators.audited(decorators.audited(views.shelf_index))),
    path("checked/", decorators.checked(lambda user: user.is_staff, views.reader)),
    path("login/", decorators.login_then(views.reader)),
]
