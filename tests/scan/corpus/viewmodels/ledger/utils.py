from django.apps import apps


def resolve_model_string(model):
    """A model class, or the class an ``"app_label.Model"`` string names."""
    if isinstance(model, str):
        return apps.get_model(model)
    return model
