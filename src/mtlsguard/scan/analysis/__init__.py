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

Only the neutral model is read, so the static front-end and runtime introspection share them.
"""
