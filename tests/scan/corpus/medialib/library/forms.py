from django import forms

from library.models import Folder


class CopyForm(forms.Form):
    destination = forms.ModelChoiceField(queryset=Folder.objects.all())

    def __init__(self, *args, **kwargs):
        self.folder = kwargs.pop("folder")
        self.user = kwargs.pop("user")
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned_data = super().clean()
        destination = cleaned_data.get("destination")
        if destination is not None and destination.owner_id != self.user.pk:
            self.add_error("destination", "You may not copy there.")
        return cleaned_data
