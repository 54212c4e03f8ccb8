"""Signing in for the opt-in credential probes (MG405-MG407): the session and the probes."""
