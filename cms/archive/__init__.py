"""The archive (C13): one immutable record per publishing outcome, with what went out and who
approved it; browsed and exported (zip of HTML, JSON and images) by whoever may read archives."""
