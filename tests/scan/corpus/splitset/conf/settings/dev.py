from .base import *  # noqa

SESSION_EXPIRE_AT_BROWSER_CLOSE = True
