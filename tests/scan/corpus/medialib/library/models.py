from django.conf import settings
from django.db import models


class Photo(models.Model):
    title = models.CharField(max_length=100)
    uploaded_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL
    )

    def can_edit(self, user):
        return user.is_superuser or self.uploaded_by_user_id == user.pk


class Album(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    title = models.CharField(max_length=100)

    def get_entry_class(self):
        return Entry

    def get_entries(self):
        return Entry.objects.filter(album=self)

    def permissions_for_user(self, user):
        return AlbumPermissions(self, user)


class AlbumPermissions:
    def __init__(self, album, user):
        self.album = album
        self.user = user

    def can_edit(self):
        return self.album.owner_id == self.user.pk


class Entry(models.Model):
    album = models.ForeignKey(Album, on_delete=models.CASCADE)
    text = models.TextField()


class Folder(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)

    def copy_to(self, destination):
        return Folder.objects.create(owner=destination.owner, name=self.name)

    def permissions_for_user(self, user):
        return FolderPermissions(self, user)


class FolderPermissions:
    def __init__(self, folder, user):
        self.folder = folder
        self.user = user

    def can_copy(self):
        return self.folder.owner_id == self.user.pk
