class InvoicePermissionPolicy:
    def user_has_permission_for_instance(self, user, action, instance):
        return instance.owner_id == user.pk


permission_policy = InvoicePermissionPolicy()
