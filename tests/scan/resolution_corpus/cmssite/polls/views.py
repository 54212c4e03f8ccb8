from django.http import HttpResponse


def vote(request, poll_id):
    return HttpResponse("voted")
