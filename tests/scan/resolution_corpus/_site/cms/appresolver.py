from cms.apphook_pool import apphook_pool


def get_app_patterns():
    return [app().get_urls() for app in apphook_pool.get_apphooks()]
