"""Sign-in pages as the team wrote them by hand: they work, and they are unsafe.

``login_view`` checks the password with ``authenticate()`` and then writes the user into the
session it already had -- the one the login page started for the "cookies enabled?" check --
with the same keys ``django.contrib.auth.login()`` writes, but without the ``cycle_key()`` that
``login()`` does first (it was dropped "to keep the session's data").
Whoever planted that session id before the login shares the session afterwards (session
fixation, CWE-384). Nothing limits wrong passwords (CWE-307). ``logout_view`` only asks the
browser to forget the cookie; the session stays valid on the server, so a copied cookie keeps
working (CWE-613), and the settings keep sessions for 30 days in a cookie without ``Secure``.
Do not copy this: use ``django.contrib.auth.views.LoginView``/``LogoutView`` and a throttle.
"""

from html import escape

from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    authenticate,
)
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.http import require_GET, require_http_methods, require_POST

FORM = """<!DOCTYPE html>
<html><head><title>Sign in</title></head><body>
<h1>Sign in</h1>{error}
<form method="post" action="/accounts/login/">
<input type="hidden" name="csrfmiddlewaretoken" value="{token}">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input type="password" name="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form></body></html>
"""


def _form(request, error=""):
    message = f'<p class="error">{escape(error)}</p>' if error else ""
    return HttpResponse(FORM.format(error=message, token=escape(get_token(request))))


@require_http_methods(["GET", "POST"])
def login_view(request):
    """The sign-in form (GET) and its check (POST)."""
    if request.method == "GET":
        request.session.set_test_cookie()  # starts a session before anyone signs in
        return _form(request)
    user = authenticate(
        request,
        username=request.POST.get("username", ""),
        password=request.POST.get("password", ""),
    )
    if user is None:
        return _form(request, "Wrong username or password.")
    # login() without its cycle_key(): the pre-login session id is now signed in
    request.session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    request.session[BACKEND_SESSION_KEY] = user.backend
    request.session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    return HttpResponseRedirect("/accounts/profile/")


@require_GET
@login_required
def profile(request):
    """Who is signed in (a redirect to the sign-in page without a signed-in session)."""
    return JsonResponse({"username": request.user.username, "email": request.user.email})


@require_POST
@login_required
def logout_view(request):
    """Signs out in the browser only: the session row is left as it was."""
    response = HttpResponseRedirect("/accounts/login/")
    response.delete_cookie(settings.SESSION_COOKIE_NAME)
    return response
