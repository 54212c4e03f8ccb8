from django.http import HttpResponseForbidden


class RequireClientCertificate:  # expect: MG301
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.META.get("HTTP_X_SSL_CLIENT_VERIFY") != "SUCCESS":
            return HttpResponseForbidden("client certificate required")
        return self.get_response(request)
