from django.contrib.admin.views.decorators import staff_member_required
from django.urls import path

from desk import views

urlpatterns = [path("desk/", views.desk)]
urlpatterns += [path("desk/stats/", views.stats)]

for pattern in urlpatterns:
    pattern.callback = staff_member_required(pattern.callback)
