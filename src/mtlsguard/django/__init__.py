"""mtlsguard's reusable Django app: client certificate -> verified identity -> user.

Add ``"mtlsguard.django"`` to ``INSTALLED_APPS``, configure the ``MTLSGUARD`` settings dict
(see :mod:`mtlsguard.django.conf`) and add
``"mtlsguard.django.middleware.ClientCertificateMiddleware"`` after Django's
``AuthenticationMiddleware``. ``docs/django.md`` has the full guide.
"""
