"""WeChat Pay (seed §9, policies P1-P7): accounts, application forms, payments, limits, reconciliation."""
