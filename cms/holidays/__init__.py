"""Holidays and swapped working days entered by an administrator (the years chinese-calendar lacks)."""
