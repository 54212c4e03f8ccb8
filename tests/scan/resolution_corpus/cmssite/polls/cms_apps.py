from cms.app_base import CMSApp
from cms.apphook_pool import apphook_pool


@apphook_pool.register
class PollsApphook(CMSApp):
    app_name = "polls"

    def get_urls(self, page=None, language=None, **kwargs):
        return ["polls.urls"]
