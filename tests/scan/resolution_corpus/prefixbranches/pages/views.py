from django.contrib.auth.decorators import login_required


def home(request):
    pass


@login_required
def account(request):
    pass
