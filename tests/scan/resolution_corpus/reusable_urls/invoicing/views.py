from django.http import JsonResponse


def invoice(request, pk):
    return JsonResponse({"pk": pk})
