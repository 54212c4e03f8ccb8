import ipaddress

from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.utils.deprecation import MiddlewareMixin

DN_HEADER = "HTTP_X_SSL_CLIENT_S_DN"


class CertificateUserMiddleware:  # expect: MG301
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        dn = request.META.get(DN_HEADER)
        if dn:
            request.user = get_user_model().objects.get(username=dn.split("CN=")[1])
        return self.get_response(request)


class CertLoginMiddleware(MiddlewareMixin):  # expect: MG301
    def process_request(self, request):  # expect: MG302
        cn = request.headers.get("X-SSL-Client-CN")
        if cn and not request.user.is_authenticated:
            user = get_user_model().objects.get(username=cn)
            login(request, user)


class ProxyCheckedCertMiddleware:  # expect: -
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        peer = ipaddress.ip_address(request.META["REMOTE_ADDR"])
        if any(peer in ipaddress.ip_network(net) for net in settings.TRUSTED_PROXIES):
            request.cert_dn = request.META.get("HTTP_X_SSL_CLIENT_S_DN")
        return self.get_response(request)
