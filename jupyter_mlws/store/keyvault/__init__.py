"""The workspace key vault's parts below the store interface: master keys (``keys``),
envelope encryption (``envelope``), Key Vault's rules (``rules``) and masking (``masking``)."""
