"""Analyses over the project model: who may call each route, and facts the rules share.

Protection of a route (:class:`~mtlsguard.scan.analysis.protection.ProtectionAnalyzer`, the
facade) is decided by:

* :mod:`.configuration` — what the settings decide for every route (middleware, DRF defaults);
* :mod:`.decorators` — what the decorators on a view, its route and its methods do;
* :mod:`.dispatch` — which mixins and ``dispatch()`` overrides of a class view really run;
* :mod:`.django_views` — Django function views and class-based views;
* :mod:`.drf_views` — DRF ``@api_view`` functions, API views and viewsets;
* :mod:`.permissions` — the DRF permission algebra (``&``, ``|``, ``~``, known and project
  classes);
* :mod:`.route` — the result, :class:`~mtlsguard.scan.analysis.route.RouteAnalysis`.

Analyses several rules share, computed once (per route, view class or project) and read through
:class:`~mtlsguard.scan.context.RuleContext`:

* :mod:`.roles` — the staff or global-permission gate in front of a view;
* :mod:`.scoping` — which models belong to a user (directly or through a tenant they join), and
  what scopes a view's queryset to one;
* :mod:`.components` — the project's middleware, auth backends and DRF authentication classes;
* :mod:`.exposure` — what an open route exposes (user data, or an auth-flow/constant page).

Only the neutral model is read, so the static front-end and runtime introspection share them.
"""
