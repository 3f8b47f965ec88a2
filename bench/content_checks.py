"""Budget: render + sanitise + check a 20,000-character article (WeChat's content limit, tags
included) with 40 images against a 10,000-term forbidden-word list in under 50 ms (median).

Prints the median of the whole pipeline, each stage, the sanitiser beside nh3 on the same article,
and the naive baseline (one regex alternation over the word list) as a ratio.

    .venv/bin/python bench/content_checks.py [--runs 30]
"""
from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from datetime import date

from cms.articles.render import plain_text, render_article
from cms.articles.sanitize import sanitize_html
from cms.articles.themes import Theme
from cms.content import checks

BUDGET_MS = 50.0
COMMON = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可也你说年发"


def make_terms(n: int, rng: random.Random) -> list[str]:
    chars = [chr(c) for c in range(0x4E00, 0x9FA5)]
    terms = set()
    while len(terms) < n:
        terms.add("".join(rng.choice(chars) for _ in range(rng.randint(2, 5))))
    return sorted(terms)


def make_article(rng: random.Random, images: int = 40, limit: int = 20_000) -> str:
    parts, size, i = [], 0, 0
    while size < limit - 400:
        para = "".join(rng.choice(COMMON) for _ in range(rng.randint(60, 140))) + "。"
        html = f'<p style="font-size:16px;color:#333333">{para}</p>'
        if i < images:
            html += f'<p><img src="/assets/{i + 1}" alt="图{i + 1}" style="max-width:100%"></p>'
        parts.append(html)
        size += len(html)
        i += 1
    return '<section style="margin:0 8px">' + "".join(parts) + "</section>"


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    rng = random.Random(7)
    terms = make_terms(10_000, rng)
    source = make_article(rng)
    words = checks.WordList({"illegal": terms})
    theme = Theme()
    images = tuple(checks.ImageInfo(index=i + 1, source="own", width=1080, height=720, caption=f"图{i + 1}")
                   for i in range(40))
    ctx = checks.CheckContext(theme=theme, words=words, archive=[(i, rng.getrandbits(64)) for i in range(2000)],
                              today=date(2026, 11, 25))

    def pipeline():
        html = render_article(source, "html", theme)
        article = checks.Article(title="季度工作总结", author="张晓雯", digest="摘要", body_format="html",
                                 body_source=source, html=html, category="news", source_kind="original",
                                 images=images, planned_date=date(2026, 12, 10))
        return checks.run_checks(article, ctx)

    html = render_article(source, "html", theme)
    article = checks.Article(title="季度工作总结", author="张晓雯", digest="摘要", body_format="html",
                             body_source=source, html=html, category="news", source_kind="original", images=images)
    text = plain_text(html)
    naive = re.compile("|".join(map(re.escape, terms)))

    import nh3

    from cms.articles import sanitize

    nh3_attrs = {t: {"style"} for t in sanitize.ALLOWED_TAGS} | {"img": {"src", "alt", "style", "width", "height"},
                                                                 "a": {"href", "title", "style"}}
    total = median_ms(pipeline, runs)
    stages = {
        "render (markdown/HTML → themed, sanitised HTML)": median_ms(lambda: render_article(source, "html", theme), runs),
        "sanitise alone (bleach + CSS sanitizer)": median_ms(lambda: sanitize_html(source), runs),
        "sanitise with nh3, same article (for comparison)": median_ms(
            lambda: nh3.clean(source, tags=set(sanitize.ALLOWED_TAGS), attributes=nh3_attrs,
                              filter_style_properties=set(sanitize.ALLOWED_CSS_PROPERTIES)), runs),
        "checks alone": median_ms(lambda: checks.run_checks(article, ctx), runs),
        "word list: Aho-Corasick": median_ms(lambda: words.find(text), runs),
        "word list: naive regex alternation (baseline)": median_ms(lambda: naive.findall(text), max(3, runs // 5)),
    }
    print(f"article: {len(source):,} characters incl. tags, 40 images; word list: {len(terms):,} terms")
    print(f"render + sanitise + check, median of {runs}: {total:.1f} ms (budget {BUDGET_MS:.0f} ms) "
          f"{'OK' if total <= BUDGET_MS else 'OVER BUDGET'}")
    for name, ms in stages.items():
        print(f"  {name:55} {ms:8.2f} ms")
    ac, rx = stages["word list: Aho-Corasick"], stages["word list: naive regex alternation (baseline)"]
    print(f"  naive regex / Aho-Corasick: {rx / ac:.0f}x slower")
    sb, sn = stages["sanitise alone (bleach + CSS sanitizer)"], stages["sanitise with nh3, same article (for comparison)"]
    print(f"  bleach / nh3: {sb / sn:.0f}x slower")


if __name__ == "__main__":
    main()
