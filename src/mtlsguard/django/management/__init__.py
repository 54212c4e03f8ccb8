"""Management commands of mtlsguard.django."""
