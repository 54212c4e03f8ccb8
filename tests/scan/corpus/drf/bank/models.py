from django.conf import settings
from django.db import models


class Account(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    iban = models.CharField(max_length=34)


class Transfer(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE)
    created_by = models.ForeignKey("auth.User", on_delete=models.PROTECT)
    amount = models.IntegerField()


class Currency(models.Model):
    code = models.CharField(max_length=3)


class Article(models.Model):
    title = models.CharField(max_length=200)


class Customer(models.Model):
    name = models.CharField(max_length=100)


class Voucher(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    code = models.CharField(max_length=20)
