"""Articles as HTML: Markdown or rich text made safe (sanitize.py), rendered in a channel's theme
(themes.py, render.py). Pure functions of plain values, below content, channels and publishing alike."""
