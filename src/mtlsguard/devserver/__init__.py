"""Embedded mTLS development server and the throwaway PKI it (and the tests) use."""
