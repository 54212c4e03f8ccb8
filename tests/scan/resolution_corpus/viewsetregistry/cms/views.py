from django.contrib.auth.decorators import login_required
from django.views.generic import ListView, UpdateView


@login_required
def dashboard(request):
    return None


class IndexView(ListView):
    pass


class EditView(UpdateView):
    pass
