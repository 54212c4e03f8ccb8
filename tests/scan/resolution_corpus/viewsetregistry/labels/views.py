from django.views.generic import ListView, View


class ChooseView(ListView):
    page_title = None


class ChosenView(View):
    page_title = None

    def get(self, request, pk):
        return None
