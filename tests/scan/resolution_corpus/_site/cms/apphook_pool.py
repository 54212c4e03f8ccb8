class ApphookPool:
    def __init__(self):
        self.apphooks = []

    def register(self, app):
        self.apphooks.append(app)
        return app

    def get_apphooks(self):
        return self.apphooks


apphook_pool = ApphookPool()
