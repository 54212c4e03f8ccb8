"""Database migrations of mtlsguard.django."""
