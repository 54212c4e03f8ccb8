class CMSApp:
    app_name = None

    def get_urls(self, page=None, language=None, **kwargs):
        return []
