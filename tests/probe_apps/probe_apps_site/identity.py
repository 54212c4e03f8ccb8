"""Who is calling: the client certificate nginx verified, mapped to the user of its CN.

What many real deployments do: nginx (``ssl_verify_client on``) is the only way in, so the
app believes its ``X-SSL-Client-Cert``/``-Verify`` headers and looks the user up by name.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication

from mtlsguard.certs import CertificateError, extract


def certificate_user(request):
    """The user named by the verified certificate's common name, or an anonymous user."""
    if request.headers.get("X-SSL-Client-Verify") != "SUCCESS":
        return AnonymousUser()
    try:
        cert = extract("nginx", headers=request.headers)
    except CertificateError:
        return AnonymousUser()
    if cert is None or not cert.common_name:
        return AnonymousUser()
    user = get_user_model().objects.filter(username=cert.common_name).first()
    return user or AnonymousUser()


class CertificateUserMiddleware:
    """Sets ``request.user`` from the forwarded certificate."""

    def __init__(self, get_response):
        """Keep the next handler."""
        self.get_response = get_response

    def __call__(self, request):
        """Identify the caller, then handle the request."""
        request.user = certificate_user(request)
        return self.get_response(request)


class CertificateAuthentication(BaseAuthentication):
    """DRF: the user the middleware found."""

    def authenticate(self, request):
        """``(user, None)`` for a certificate's user, else ``None``."""
        user = getattr(request._request, "user", None)
        return (user, None) if user is not None and user.is_authenticated else None
