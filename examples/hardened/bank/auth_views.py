"""Password sign-in as a second factor next to the client certificate (JSON API).

The certificate says which user is calling; ``/api/login/`` adds that user's password, so
``/api/profile/`` (``login_and_certificate_required``) needs both factors, naming the same
user. Django's ``login()`` rotates the session key (no session fixation), ``logout()`` deletes
the session on the server, the session cookie is ``Secure``, ``HttpOnly``, ``SameSite=Lax``
and ends with the browser (settings), and DRF's ``ScopedRateThrottle`` answers 429 with
``Retry-After`` after 5 sign-in attempts a minute from one address (per process: the
example uses the local-memory cache; use a shared cache in production).
"""

from django.contrib.auth import authenticate, login, logout
from django.http import JsonResponse
from rest_framework import status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from mtlsguard.django.decorators import login_and_certificate_required
from mtlsguard.drf.permissions import HasVerifiedClientCertificate


class LoginView(APIView):
    """``POST {"username": ..., "password": ...}``: sign in (the certificate is required)."""

    authentication_classes = ()
    permission_classes = (HasVerifiedClientCertificate,)
    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "login"

    def post(self, request):
        """Check the password; on success rotate the session key and sign the user in."""
        user = authenticate(
            request._request,
            username=str(request.data.get("username", "")),
            password=str(request.data.get("password", "")),
        )
        if user is None:
            return Response(
                {"detail": "Wrong username or password."}, status=status.HTTP_400_BAD_REQUEST
            )
        login(request._request, user)
        return Response({"username": user.username})


class LogoutView(APIView):
    """``POST``: sign out; the session is deleted on the server."""

    authentication_classes = ()
    permission_classes = (HasVerifiedClientCertificate,)

    def post(self, request):
        """End the session."""
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@login_and_certificate_required
def profile(request):
    """Who is signed in (certificate and password session, same user)."""
    return JsonResponse({"username": request.user.username, "email": request.user.email})
