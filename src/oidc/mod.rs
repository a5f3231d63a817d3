//! CI identity and OIDC trusted publishing: ID tokens and per-package token exchange.
