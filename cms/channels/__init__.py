"""Channel administration (C1 C2 C17): the accounts, their credentials, clients and themes, and
the ledger of what went out on each (publications, bundles)."""
