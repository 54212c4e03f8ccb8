from .models import Organization


class CurrentOrganizationMiddleware:
    """Reads the user to attach an organization; lets everybody through."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            return self.get_response(request)
        request.organization = Organization.objects.filter(memberships__user=request.user).first()
        return self.get_response(request)
