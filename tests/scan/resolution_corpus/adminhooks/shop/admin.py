from django.contrib import admin
from django.http import HttpResponse
from django.urls import path

from shop.models import Customer, Order


class OrderAdmin(admin.ModelAdmin):
    def get_urls(self):
        return [
            path("export/", self.admin_site.admin_view(self.export)),
            path("public-feed/", self.feed),
        ] + super().get_urls()

    def export(self, request):
        return HttpResponse("csv")

    def feed(self, request):
        return HttpResponse("feed")


admin.site.register(Order, OrderAdmin)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    pass
