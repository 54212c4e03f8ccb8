from django.urls import path

from library import views

urlpatterns = [
    path("photos/<int:photo_id>/preview/", views.photo_preview),
    path("photos/<int:photo_id>/preview/checked/", views.photo_preview_checked),
    path("members/<int:member_id>/", views.member_card),
    path("albums/<int:album_id>/entries/delete/", views.DeleteEntriesView.as_view()),
    path("albums/<int:album_id>/entries/remove/", views.DeleteEntriesScopedView.as_view()),
    path("folders/<int:folder_id>/copy/", views.copy_folder),
    path("folders/<int:folder_id>/copy/checked/", views.copy_folder_checked),
    path("albums/<int:album_id>/translate/", views.TranslateAlbumUnchecked.as_view()),
    path("albums/<int:album_id>/translate/edit/", views.TranslateAlbumChecked.as_view()),
    path("albums/<int:album_id>/translate/policy/", views.TranslateAlbumByPolicy.as_view()),
]
