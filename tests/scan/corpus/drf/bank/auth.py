import jwt
from django.contrib.auth import get_user_model
from rest_framework.authentication import BaseAuthentication


class BearerJWTAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        claims = jwt.decode(header[7:], options={"verify_signature": False})  # expect: MG303
        return get_user_model().objects.get(username=claims["sub"]), None


def decode_service_token(token, key):
    return jwt.decode(token, key, algorithms=["HS256", "none"])  # expect: MG303


def decode_properly(token, key):
    return jwt.decode(token, key, algorithms=["RS256"])  # expect: -
