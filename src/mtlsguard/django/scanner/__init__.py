"""The scanner's runtime front-end: the live URL resolver and settings in, the project model out.

Used by ``python manage.py mtlsguard``; the rules and reports are the static scanner's.
"""
