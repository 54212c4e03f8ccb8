"""Django REST framework integration (the only package that imports ``rest_framework``).

* :class:`~mtlsguard.drf.authentication.ClientCertificateAuthentication` -- the user a
  verified client certificate maps to;
* :class:`~mtlsguard.drf.authentication.CertificateBoundTokenAuthentication` -- RFC 8705
  certificate-bound tokens (``cnf["x5t#S256"]``);
* :class:`~mtlsguard.drf.permissions.HasVerifiedClientCertificate` and
  :class:`~mtlsguard.drf.permissions.IsOwner` (composable with ``& | ~``);
* :class:`~mtlsguard.drf.mixins.OwnerScopedQuerysetMixin` for viewsets and generic views.
"""
