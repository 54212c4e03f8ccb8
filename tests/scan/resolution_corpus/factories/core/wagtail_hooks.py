from shared import hooks
from shared.endpoints import DocEndpoint


@hooks.register("construct_api")
def add_documents(router):
    router.register_endpoint("docs", DocEndpoint)
