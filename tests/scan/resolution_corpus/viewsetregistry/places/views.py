from cms.viewsets import ViewSet

chooser_viewset = ViewSet("places_chooser", url_prefix="places/chooser")
