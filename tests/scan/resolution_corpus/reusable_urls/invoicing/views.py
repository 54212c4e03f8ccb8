from django.http import JsonResponse

from invoicing.models import Invoice


def invoice(request, pk):
    item = Invoice.objects.get(pk=pk)
    return JsonResponse({"pk": item.pk, "total": str(item.total)})
