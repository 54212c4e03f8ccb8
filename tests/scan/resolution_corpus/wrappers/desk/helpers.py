def decorate_urlpatterns(urlpatterns, decorator):
    for pattern in urlpatterns:
        pattern.callback = decorator(pattern.callback)
    return urlpatterns
