"""The website channel: published posts as public pages at /p/<slug> and an Atom feed per
website channel at /feeds/<slug>.xml. No login: only what the publisher put live is shown."""
