from django.contrib.auth.decorators import login_required
from django.urls import include, path

from notes import views

notes_patterns = [
    path("first/", views.MixinFirst.as_view()),
    path("last/", views.MixinLast.as_view()),
]

urlpatterns = [
    path("n/", include((notes_patterns, "notes"))),
    path("perm/", views.NotePermissionView.as_view()),
    path("trivial/", views.TrivialTestView.as_view()),
    path("staff/", views.StaffTestView.as_view()),
    path("disp-class/", views.DispatchDecoratedClass.as_view()),
    path("disp-method/", views.DispatchDecoratedMethod.as_view()),
    path("get-only/", views.GetOnlyDecorated.as_view()),
    path("named-get/", views.NamedGetDecorated.as_view()),
    path("base/", views.InheritsProtectedBase.as_view()),
    path("guard-mixin/", views.GuardMixinView.as_view()),
    path("shadowed/", views.ShadowedMixinView.as_view()),
    path("about/", views.AboutView.as_view()),
    path("notes/<int:pk>/", views.NoteDetail.as_view()),
    path("notes/<int:pk>/mine/", views.MyNoteDetail.as_view()),
    path("notes/<int:pk>/edit/", views.NoteUpdate.as_view()),
    path("notes/", views.PublicNoteList.as_view()),
    path("wrapped/", login_required(views.WrappedInUrls.as_view())),
    path("login/", views.SiteLogin.as_view()),
    path("inline/", views.InlineGuardView.as_view()),
    path("cert-dispatch/", views.CertDispatchView.as_view()),
    path("braces/", views.BracesView.as_view()),
    path("tags/", views.TagList.as_view()),
    path("perm-mixin-last/", views.PermissionMixinLast.as_view()),
    path("test-no-user/", views.MethodOnlyTest.as_view()),
]
urlpatterns += [path("extra/", views.ExtraOpen.as_view())]
urlpatterns += [
    path("archive/mine/", views.MyNoteArchive.as_view()),
    path("archive/mine/<int:year>/", views.MyNoteYearArchive.as_view()),
    path("archive/", views.NoteArchive.as_view()),
    path("archive/<int:year>/<int:month>/", views.NoteMonthArchive.as_view()),
    path("archive/last/<int:year>/", views.NoteYearMixinLast.as_view()),
]
urlpatterns += [
    path("subscribe/", views.NoteSubscribe.as_view()),
    path("subscribe/open/", views.NoteSubscribeOpen.as_view()),
]
